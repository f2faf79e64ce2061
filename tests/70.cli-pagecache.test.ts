// The page-cache commands (residency, touch, evict, advise, lock), run as the installed
// `mmap-wasi` command would be, and checked against Debian's vmtouch on the same files.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseSize, formatBytes } from "../build/lib/cli/sizes.js";
import { native, FileAdvice } from "../build/lib/native.js";
import { MiB, describeOnLinux, evict, missingPrerequisite, sleep, tempDir, writeRandomFile } from "./helpers.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(root, "build", "lib", "cli", "main.js");
const PAGE = 4096;
const COMMANDS = ["residency", "touch", "evict", "advise", "lock"];
const SGR = /\x1b\[[0-9;]*m/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const result = spawnSync(process.execPath, [cli, ...args], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: "", ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the CLI on a pseudo-terminal (util-linux `script`); stdout and stderr arrive merged. */
function runCliOnTerminal(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
  // Deno runs a script given to its binary with every permission only as `deno run -A`:
  // spawn() from Deno adds that, a shell command does not (Deno would ask on the terminal).
  const runtime = "deno" in process.versions ? [process.execPath, "run", "-A"] : [process.execPath];
  const command = [...runtime, cli, ...args].map(quote).join(" ");
  const result = spawnSync("script", ["-qec", command, "/dev/null"], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: "", TERM: "xterm-256color", ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const hasScript = spawnSync("script", ["--version"]).status === 0;
const hasVmtouch = spawnSync("vmtouch", ["-h"]).error === undefined;

interface Counts {
  resident: number;
  total: number;
}

interface ResidencyJson {
  version: number;
  pageSize: number;
  files: Record<string, unknown>[];
  total: Record<string, number>;
  errors: { path: string; code: string; message: string }[];
}

function residencyJson(...targets: string[]): ResidencyJson {
  const result = runCli(["residency", "--json", ...targets]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as ResidencyJson;
}

function ours(target: string): Counts {
  const { total } = residencyJson(target);
  return { resident: total.residentPages!, total: total.totalPages! };
}

function vmtouch(target: string): Counts {
  const result = spawnSync("vmtouch", [target], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  const match = /Resident Pages: (\d+)\/(\d+)/.exec(result.stdout);
  assert.ok(match, `unexpected vmtouch output: ${result.stdout}`);
  return { resident: Number(match[1]), total: Number(match[2]) };
}

/**
 * Both tools' counts for `target`. The page cache of this machine may lose a few pages at
 * any time (other work, a host reclaiming memory), so a comparison counts only when our
 * count is the same just before and just after vmtouch's.
 */
function bothTools(target: string): { ours: Counts; vmtouch: Counts } {
  let last = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = ours(target);
    const theirs = vmtouch(target);
    const after = ours(target);
    if (before.resident === after.resident) return { ours: after, vmtouch: theirs };
    last = `${before.resident} then ${after.resident}`;
  }
  assert.fail(`the residency of ${target} never held still (${last})`);
}

function assertAgree(target: string, expected?: (counts: Counts) => void): Counts {
  const both = bothTools(target);
  assert.deepEqual(both.ours, both.vmtouch, `mmap-wasi and vmtouch disagree on ${target}`);
  expected?.(both.ours);
  return both.ours;
}

/**
 * Sets up a page-cache state and checks it, up to three times: the machine may reclaim a
 * few pages between the two (seen here while other work ran), which is no fault of the
 * tools. The tools must still agree every time; only the expected count may be missed.
 */
async function settled(setUp: () => void | Promise<void>, check: () => Counts, expected: (counts: Counts) => void): Promise<Counts> {
  for (let attempt = 1; ; attempt++) {
    await setUp();
    const counts = check();
    try {
      expected(counts);
      return counts;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

describeOnLinux("cli-pagecache: residency, touch, evict, advise, lock", "mincore, posix_fadvise and vmtouch", function () {
  this.timeout(120_000);
  let temp: ReturnType<typeof tempDir>;
  let file: string; // 48 MiB: 12288 pages, a multiple of three
  let small: string;
  let empty: string;
  before(function () {
    if (!hasVmtouch && process.env.CI) assert.fail("vmtouch is not installed: .ci/run installs the Debian package");
    temp = tempDir("cli-pagecache");
    file = temp.file("data.bin");
    writeRandomFile(file, 48 * MiB);
    small = temp.file("small.bin");
    fs.writeFileSync(small, Buffer.alloc(3 * PAGE + 100, 7));
    empty = temp.file("empty.bin");
    fs.writeFileSync(empty, "");
  });
  after(() => temp?.remove());

  const needsVmtouch = function (this: Mocha.Context) {
    if (!hasVmtouch) missingPrerequisite(this, "vmtouch is not installed (apt-get install vmtouch)");
  };

  const needsTerminal = function (this: Mocha.Context) {
    if (!hasScript) missingPrerequisite(this, "script(1) from util-linux is not installed: it gives the command a terminal");
  };

  describe("sizes", () => {
    it("parses plain integers and B/K/M/G/T suffixes as powers of 1024", () => {
      assert.equal(parseSize("0"), 0);
      assert.equal(parseSize("4096"), 4096);
      assert.equal(parseSize("10B"), 10);
      assert.equal(parseSize("4K"), 4096);
      assert.equal(parseSize("4k"), 4096);
      assert.equal(parseSize("64M"), 64 * MiB);
      assert.equal(parseSize("1G"), 2 ** 30);
      assert.equal(parseSize("2T"), 2 * 2 ** 40);
      assert.equal(parseSize("4KiB"), 4096);
      assert.equal(parseSize("3gib"), 3 * 2 ** 30);
      assert.equal(parseSize("8191T"), 8191 * 2 ** 40);
    });

    it("refuses everything else", () => {
      for (const text of ["", " 4K", "4 K", "K", "4KB", "4Ki", "1.5G", "-1", "+1", "0x10", "1e3", "1P", "4BiB", "8192T", "9007199254740992"]) {
        assert.equal(parseSize(text), undefined, `parseSize(${JSON.stringify(text)})`);
      }
    });

    it("formats byte counts for people", () => {
      assert.equal(formatBytes(0), "0 B");
      assert.equal(formatBytes(1023), "1023 B");
      assert.equal(formatBytes(4096), "4.00 KiB");
      assert.equal(formatBytes(48 * MiB), "48.0 MiB");
      assert.equal(formatBytes(2 ** 30), "1.00 GiB");
    });
  });

  describe("usage", () => {
    it("--version prints the package's version", () => {
      const { version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };
      const result = runCli(["--version"]);
      assert.equal(result.code, 0);
      assert.equal(result.stdout, `${version}\n`);
    });

    it("--help lists every page-cache command", () => {
      const result = runCli(["--help"]);
      assert.equal(result.code, 0);
      for (const command of COMMANDS) assert.match(result.stdout, new RegExp(`^  ${command} `, "m"));
    });

    for (const command of COMMANDS) {
      it(`${command} --help and -h: usage on stdout, exit 0`, () => {
        for (const flag of ["--help", "-h"]) {
          const result = runCli([command, flag]);
          assert.equal(result.code, 0, result.stderr);
          assert.match(result.stdout, new RegExp(`^Usage: mmap-wasi ${command} `));
          assert.match(result.stdout, /Exit status/);
          assert.equal(result.stderr, "");
        }
      });

      it(`${command} with no PATH, or an unknown option: exit 2 and a pointer to --help`, () => {
        for (const args of [[command], [command, "--no-such-option", small]]) {
          const result = runCli(args);
          assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
          assert.match(result.stderr, new RegExp(`Run 'mmap-wasi ${command} --help' for usage`));
          assert.equal(result.stdout, "");
        }
      });
    }

    it("an unknown command: exit 2, also for names every object has", () => {
      for (const name of ["frobnicate", "constructor", "toString", "__proto__"]) {
        const result = runCli([name]);
        assert.equal(result.code, 2, `${name}: ${result.stderr}`);
        assert.match(result.stderr, new RegExp(`unknown command: ${name}\\n`));
        assert.equal(result.stdout, "");
      }
    });

    it("advise: malformed sizes, unknown advice and a wrong argument count are usage errors (exit 2)", () => {
      const cases: [string[], RegExp][] = [
        [[small, "4KB", "0", "willneed"], /OFFSET must be a byte count .* got '4KB'/],
        [[small, "0", "1.5M", "willneed"], /LENGTH must be a byte count .* got '1.5M'/],
        [[small, "-1", "0", "willneed"], /'-1'/],
        [[small, "0", "0", "wontneed"], /unknown ADVICE 'wontneed'; expected one of normal, sequential, random, willneed, dontneed, noreuse, hugepage, nohugepage, cold, pageout, populate-read/],
        [[small, "0", "0"], /expected PATH OFFSET LENGTH ADVICE, got 3 arguments/],
        [[small, "0", "0", "willneed", "extra"], /got 5 arguments/],
      ];
      for (const [args, message] of cases) {
        const result = runCli(["advise", ...args]);
        assert.equal(result.code, 2, `advise ${args.join(" ")}: ${result.stderr}`);
        assert.match(result.stderr, message);
      }
    });
  });

  describe("errors name the path and the errno (exit 1)", () => {
    it("a missing file: ENOENT and its path; the other paths are still done", () => {
      const missing = temp.file("no-such-file");
      for (const command of ["residency", "touch", "evict"]) {
        const result = runCli([command, missing, small]);
        assert.equal(result.code, 1, `${command}: ${result.stderr}`);
        assert.match(result.stderr, /^mmap-wasi: ENOENT: no such file or directory, stat '.*no-such-file'\n$/);
        assert.match(result.stdout, command === "residency" ? /small\.bin/ : /1 file/);
      }
    });

    it("advise and lock of a missing file: ENOENT and its path", () => {
      const missing = temp.file("no-such-file");
      for (const args of [["advise", missing, "0", "0", "willneed"], ["lock", missing]]) {
        const result = runCli(args);
        assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`);
        assert.match(result.stderr, /ENOENT: no such file or directory, \w+ '.*no-such-file'/);
      }
    });

    it("residency --json lists the failures in errors[] and still reports the rest", () => {
      const missing = temp.file("no-such-file");
      const result = runCli(["residency", "--json", small, missing]);
      assert.equal(result.code, 1);
      const document = JSON.parse(result.stdout) as ResidencyJson;
      assert.equal(document.files.length, 1);
      assert.deepEqual(document.errors.map((error) => [error.path, error.code]), [[missing, "ENOENT"]]);
    });

    it("advise beyond the end of the file: exit 1, the range and the path", () => {
      for (const args of [["100K", "0"], ["12K", "8K"]]) {
        const result = runCli(["advise", small, ...args, "willneed"]);
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr, /advise: .*(beyond the end|outside the mapping).*small\.bin/);
      }
    });

    it("a path that is neither a file nor a folder (a FIFO) is refused, not opened", () => {
      const fifo = temp.file("fifo");
      if (spawnSync("mkfifo", [fifo]).status !== 0) return;
      const result = runCli(["residency", fifo]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /not a regular file or folder: .*fifo/);
    });
  });

  describe("residency", () => {
    it("--json has the documented shape", () => {
      evict(small);
      const document = residencyJson(small, empty);
      assert.deepEqual(Object.keys(document), ["version", "pageSize", "files", "total", "errors"]);
      assert.equal(document.version, 1);
      assert.equal(document.pageSize, PAGE);
      const fileKeys = ["path", "size", "pageSize", "residentPages", "totalPages", "residentBytes", "totalBytes", "percent"];
      for (const entry of document.files) assert.deepEqual(Object.keys(entry), fileKeys);
      assert.deepEqual(Object.keys(document.total), ["files", "size", "residentPages", "totalPages", "residentBytes", "totalBytes", "percent"]);
      assert.deepEqual(document.files[0], {
        path: small, size: 3 * PAGE + 100, pageSize: PAGE, residentPages: 0, totalPages: 4,
        residentBytes: 0, totalBytes: 4 * PAGE, percent: 0,
      });
      assert.deepEqual(document.files[1], {
        path: empty, size: 0, pageSize: PAGE, residentPages: 0, totalPages: 0, residentBytes: 0, totalBytes: 0, percent: 100,
      });
      assert.deepEqual(document.total, {
        files: 2, size: 3 * PAGE + 100, residentPages: 0, totalPages: 4, residentBytes: 0, totalBytes: 4 * PAGE, percent: 0,
      });
      assert.deepEqual(document.errors, []);
    });

    it("walks folders, skips symbolic links inside them, counts a hard-linked file once", function () {
      needsVmtouch.call(this);
      const folder = temp.file("tree");
      fs.mkdirSync(path.join(folder, "sub", "deeper"), { recursive: true });
      fs.writeFileSync(path.join(folder, "a.bin"), Buffer.alloc(5 * PAGE, 1));
      fs.writeFileSync(path.join(folder, "sub", "b.bin"), Buffer.alloc(2 * PAGE + 1, 2));
      fs.writeFileSync(path.join(folder, "sub", "deeper", "c.bin"), "");
      fs.linkSync(path.join(folder, "a.bin"), path.join(folder, "sub", "hard-a.bin"));
      fs.symlinkSync(file, path.join(folder, "link-to-big"));
      const document = residencyJson(folder);
      assert.deepEqual(document.files.map((entry) => path.relative(folder, entry.path as string)),
        ["a.bin", path.join("sub", "b.bin"), path.join("sub", "deeper", "c.bin")]);
      assert.equal(document.total.totalPages, 5 + 3);
      assertAgree(folder);
    });

    it("piped: a plain table, no picture, no escapes", () => {
      const result = runCli(["residency", small, empty]);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stdout, /\x1b/);
      assert.doesNotMatch(result.stdout, /[│▁▂▃▄▅▆▇█]/);
      const [header, ...rows] = result.stdout.trimEnd().split("\n");
      assert.match(header!, /^RESIDENT\s+TOTAL\s+PAGES\s+%\s+PATH$/);
      assert.equal(rows.length, 3); // two files and the total
      assert.match(rows[2]!, /total \(2 files\)$/);
    });

    it("on a terminal: a picture of where the resident pages lie, in color unless NO_COLOR", function () {
      needsTerminal.call(this);
      evict(file);
      // Resident: the first quarter only.
      const fd = fs.openSync(file, "r");
      assert.equal(native.adviseFile(fd, 0, 0, FileAdvice.Random), 0);
      const buffer = Buffer.alloc(MiB);
      for (let at = 0; at < 12 * MiB; at += MiB) fs.readSync(fd, buffer, 0, MiB, at);
      fs.closeSync(fd);
      const colored = runCliOnTerminal(["residency", file]);
      assert.equal(colored.code, 0, colored.stdout);
      assert.match(colored.stdout, SGR);
      const plain = runCliOnTerminal(["residency", file], { NO_COLOR: "1" });
      assert.equal(plain.code, 0, plain.stdout);
      assert.doesNotMatch(plain.stdout, /\x1b/);
      const picture = /│([ ▁▂▃▄▅▆▇█]+)│/.exec(plain.stdout);
      assert.ok(picture, `no picture in ${JSON.stringify(plain.stdout)}`);
      const columns = [...picture[1]!];
      const quarter = Math.round(columns.length / 4);
      assert.ok(columns.slice(0, quarter - 1).every((cell) => cell === "█"), picture[1]);
      assert.ok(columns.slice(quarter + 1).every((cell) => cell === " "), picture[1]);
    });
  });

  describe("agreement with vmtouch", () => {
    it("after touch: every page resident, and the same count", async function () {
      needsVmtouch.call(this);
      await settled(() => {
        evict(file);
        const result = runCli(["touch", file]);
        assert.equal(result.code, 0, result.stderr);
      }, () => assertAgree(file), ({ resident, total }) => assert.equal(resident, total));
    });

    it("after evict: no page resident, and the same count", function () {
      needsVmtouch.call(this);
      assert.equal(runCli(["touch", "-q", file]).code, 0);
      const result = runCli(["evict", file]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^evicted 1 file: \d+ pages \(.*\) dropped\n$/);
      assertAgree(file, ({ resident }) => assert.equal(resident, 0));
    });

    it("after reading only the middle third: the same count, a third of the file", async function () {
      needsVmtouch.call(this);
      await settled(() => {
        evict(file);
        // POSIX_FADV_RANDOM: no read-ahead, so exactly the pages read become resident.
        const fd = fs.openSync(file, "r");
        assert.equal(native.adviseFile(fd, 0, 0, FileAdvice.Random), 0);
        const buffer = Buffer.alloc(MiB);
        for (let at = 16 * MiB; at < 32 * MiB; at += MiB) fs.readSync(fd, buffer, 0, MiB, at);
        fs.closeSync(fd);
      }, () => assertAgree(file), ({ resident, total }) => {
        assert.equal(total, 12288);
        assert.ok(resident >= 4096 && resident <= 4096 + 64, `${resident} of ${total} pages resident`);
      });
    });

    it("touch of a folder: every file resident, the same totals", async function () {
      needsVmtouch.call(this);
      const folder = temp.file("touch-tree");
      fs.mkdirSync(path.join(folder, "sub"), { recursive: true });
      writeRandomFile(path.join(folder, "one.bin"), 3 * MiB + 5);
      writeRandomFile(path.join(folder, "sub", "two.bin"), 5 * MiB);
      fs.writeFileSync(path.join(folder, "sub", "empty.bin"), "");
      await settled(() => {
        runCli(["evict", "-q", folder]);
        const result = runCli(["touch", folder]);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /^touched 3 files: 2049 pages \(8\.00 MiB\), \d+ brought in, in [\d.]+ s \(\d+ MiB\/s\)\n$/);
      }, () => assertAgree(folder), ({ resident, total }) => assert.equal(resident, total));
    });

    it("advise 0 0 willneed on an evicted file makes it resident", async function () {
      needsVmtouch.call(this);
      await settled(async () => {
        evict(file);
        assert.equal(vmtouch(file).resident, 0);
        const result = runCli(["advise", file, "0", "0", "willneed"]);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /^willneed: 48\.0 MiB of .*data\.bin from offset 0\n$/);
        // WillNeed starts read-ahead and returns; wait for it to land.
        const start = performance.now();
        while (vmtouch(file).resident < 12288 && performance.now() - start < 5000) await sleep(50);
      }, () => assertAgree(file), ({ resident, total }) => assert.ok(resident >= 0.99 * total, `${resident}/${total}`));
    });

    it("advise with suffixed sizes: willneed of [16M, 16M + 8M) brings in about that range", async function () {
      needsVmtouch.call(this);
      await settled(async () => {
        evict(file);
        const result = runCli(["advise", file, "16M", "8M", "willneed"]);
        assert.equal(result.code, 0, result.stderr);
        const start = performance.now();
        while (vmtouch(file).resident < 2048 && performance.now() - start < 5000) await sleep(50);
      }, () => assertAgree(file), ({ resident }) => assert.ok(resident >= 2048 && resident < 12288 / 2, `${resident} pages resident`));
    });
  });

  describe("advice names", () => {
    it("every name is accepted (case and _ or - alike) and exits 0", () => {
      const names = ["normal", "sequential", "random", "willneed", "dontneed", "noreuse", "hugepage", "nohugepage", "cold", "pageout", "populate-read", "POPULATE_READ", "WillNeed"];
      for (const name of names) {
        const result = runCli(["advise", small, "0", "4K", name]);
        // Linux before 5.4 / 5.14 lacks cold, pageout and populate-read: EINVAL is fine there.
        const tooOld = result.code === 1 && /EINVAL/.test(result.stderr) && /cold|pageout|populate/i.test(name);
        assert.ok(result.code === 0 || tooOld, `${name}: ${result.code} ${result.stderr}`);
      }
    });
  });

  describe("touch", () => {
    it("piped: no progress bar and no escapes; the summary on stdout", () => {
      evict(file);
      const result = runCli(["touch", file]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, "");
      assert.doesNotMatch(result.stdout, /[\x1b\r]/);
      assert.match(result.stdout, /^touched 1 file: 12288 pages \(48\.0 MiB\), \d+ brought in, in [\d.]+ s \(\d+ MiB\/s\)\n$/);
    });

    it("on a terminal: a progress bar on stderr, colored unless NO_COLOR", function () {
      needsTerminal.call(this);
      evict(file);
      const colored = runCliOnTerminal(["touch", file]);
      assert.equal(colored.code, 0, colored.stdout);
      assert.match(colored.stdout, /\r│.*%.*data\.bin/);
      assert.match(colored.stdout, SGR);
      assert.match(colored.stdout, /touched 1 file: 12288 pages/);
      evict(file);
      const plain = runCliOnTerminal(["touch", file], { NO_COLOR: "1" });
      assert.equal(plain.code, 0, plain.stdout);
      assert.match(plain.stdout, /\r│.*%/);
      assert.doesNotMatch(plain.stdout, SGR);
    });

    it("an empty file and a warm file", () => {
      let result = runCli(["touch", empty]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^touched 1 file: 0 pages \(0 B\), 0 brought in/);
      runCli(["touch", "-q", small]);
      result = runCli(["touch", small]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^touched 1 file: 4 pages \(12\.1 KiB\), 0 brought in/);
    });

    it("-q prints nothing", () => {
      const result = runCli(["touch", "-q", small]);
      assert.equal(result.code, 0);
      assert.equal(result.stdout + result.stderr, "");
    });
  });

  describe("evict", () => {
    it("an empty file and a folder", () => {
      const result = runCli(["evict", empty, temp.dir]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^evicted \d+ files: /);
    });
  });

  describe("lock", () => {
    function lockedKiB(pid: number, target: string): number {
      const real = fs.realpathSync(target);
      let inside = false;
      let total = 0;
      for (const line of fs.readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
        const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
        if (header) {
          inside = header[1] === real;
          continue;
        }
        const locked = /^Locked:\s+(\d+) kB$/.exec(line);
        if (locked && inside) total += Number(locked[1]);
      }
      return total;
    }

    async function lockUntilSignal(signal: NodeJS.Signals) {
      evict(file);
      const child = spawn(process.execPath, [cli, "lock", file, small], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (data) => (stdout += data));
      child.stderr.on("data", (data) => (stderr += data));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      try {
        const start = performance.now();
        while (!stdout.includes("locked") && child.exitCode === null && performance.now() - start < 30_000) await sleep(20);
        assert.match(stdout, /^locked 2 files: 12292 pages \(48\.0 MiB\); Ctrl-C to unlock\n$/, stderr);
        assert.equal(lockedKiB(child.pid!, file), 48 * 1024, "smaps Locked of the file");
        if (hasVmtouch) {
          const counts = vmtouch(file);
          assert.equal(counts.resident, counts.total, "vmtouch: every page resident");
        }
      } finally {
        child.kill(signal);
      }
      assert.equal(await exited, 0, stderr);
      assert.match(stdout, new RegExp(`unlocked \\(${signal}\\)\\n$`));
      assert.equal(stderr, "");
    }

    it("locks every page (smaps Locked, vmtouch) until SIGINT, then exits 0", () => lockUntilSignal("SIGINT"));

    it("SIGTERM also unlocks and exits 0", () => lockUntilSignal("SIGTERM"));
  });
});
