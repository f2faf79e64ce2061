// Where the package's built artifacts are, from this module's own location
// (build/lib/*.js at run time).
import { fileURLToPath } from "node:url";

export const packageRoot = fileURLToPath(new URL("../../", import.meta.url));
export const coreWasmPath = fileURLToPath(new URL("../core.wasm", import.meta.url));
export const guestCoreWasmPath = fileURLToPath(new URL("../guest.wasm", import.meta.url));
/** binding.gyp's folder: node-gyp's build/Release and the prebuilds/ are beneath it. */
export const nativeDir = fileURLToPath(new URL("../../native/", import.meta.url));
