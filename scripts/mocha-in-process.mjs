// Runs mocha's command line in this process, for the runtime that runs this file
// (scripts/test-runtimes.mjs). mocha's own bin/mocha.js starts a second process for
// node options, and under Deno that process does not get its arguments.
import { main } from "../node_modules/mocha/lib/cli/cli.js";

main(process.argv.slice(2));
