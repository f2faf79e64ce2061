// Running guests: runGuest() and `mmap-wasi run` under node:wasi and @wasmer/wasi, with
// the example guests in AssemblyScript, C and Rust, and the SDKs' guest mappings.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { runGuest } from "../build/lib/index.js";
import { randomFillSync } from "node:crypto";
import { nativeGuest, runGuestCapturing, tempDir } from "./helpers.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(root, "build", "lib", "cli", "main.js");
const built = (...parts: string[]) => path.join(root, "build", ...parts);

/** FNV-1a 64-bit, in two 32-bit halves (prime 2^40 + 0x1b3). */
function fnv1a64(bytes: Uint8Array): string {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (const byte of bytes) {
    lo = (lo ^ byte) >>> 0;
    const low = lo * 0x1b3;
    hi = (Math.imul(hi, 0x1b3) + ((lo << 8) >>> 0) + Math.floor(low / 2 ** 32)) >>> 0;
    lo = low >>> 0;
  }
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}

/** `mmap-wasi run ...` in a child process; `env` adds to this process's environment. */
function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** An example guest: AssemblyScript ones are built by the pretest step, C and Rust ones by examples/build-native-guests.sh. */
function example(test: Mocha.Context, language: string, name: string): string {
  if (language === "assemblyscript") return built("examples", language, `${name}.wasm`);
  return nativeGuest(test, "examples", language, `${name}.wasm`);
}

describe("running guests", function () {
  this.timeout(120_000);
  let temp: ReturnType<typeof tempDir>;
  let data: string;
  let out: string;
  let input: Buffer;
  before(() => {
    temp = tempDir("run");
    data = temp.file("data");
    out = temp.file("out");
    fs.mkdirSync(data);
    fs.mkdirSync(out);
    input = randomFillSync(Buffer.alloc(2 * 1024 * 1024 + 12_345));
    fs.writeFileSync(path.join(data, "input.bin"), input);
  });
  after(() => temp.remove());

  for (const language of ["assemblyscript", "c", "rust"]) {
    describe(`the ${language} examples`, () => {
      for (const runtime of ["node", "wasmer"]) {
        it(`checksum under ${runtime}: FNV-1a of the mapped file, as computed here`, function () {
          const wasm = example(this, language, "checksum");
          const result = runCli(["run", "--runtime", runtime, "--dir", `${data}::/data`, wasm, "--", "/data/input.bin"]);
          assert.equal(result.stderr, "");
          assert.equal(result.stdout, `checksum ${fnv1a64(input)} bytes ${input.length}\n`);
          assert.equal(result.code, 0);
        });

        it(`write under ${runtime}: create, write, resize, flush reach the host file`, function () {
          const wasm = example(this, language, "write");
          const target = path.join(out, `${language}-${runtime}.bin`);
          const result = runCli(["run", "--runtime", runtime, "--dir-rw", `${out}::/out`, wasm, "--", `/out/${path.basename(target)}`]);
          assert.equal(result.stderr, "");
          assert.equal(result.stdout, "wrote 8192 bytes\n");
          assert.equal(result.code, 0);
          const file = fs.readFileSync(target);
          assert.equal(file.length, 8192);
          assert.equal(file.subarray(0, 20).toString(), "hello, mapped world\n");
          assert.equal(file.subarray(8000, 8005).toString(), "tail\n");
        });
      }
    });
  }

  // In place where the platform allows it, and with copies forced, which write back at
  // sync and unmap instead.
  const mappingModes = [["default", {}], ["copies forced", { MMAP_WASI_GUEST_MAPPINGS: "copy" }]] as const;
  const inPlace = ["linux", "darwin", "freebsd"].includes(process.platform) && ["x64", "arm64"].includes(process.arch);

  for (const language of ["assemblyscript", "rust"]) {
    describe(`the ${language} SDK's guest mappings`, () => {
      for (const runtime of ["node", "wasmer"]) {
        it(`mapchecksum under ${runtime}: FNV-1a of the file through 1 MiB windows mapped in the guest, as computed here`, function () {
          const wasm = example(this, language, "mapchecksum");
          const result = runCli(["run", "--runtime", runtime, "--dir", `${data}::/data`, wasm, "--", "/data/input.bin"]);
          assert.equal(result.stderr, "");
          assert.equal(result.stdout, `checksum ${fnv1a64(input)} bytes ${input.length}\n`);
          assert.equal(result.code, 0);
        });
      }

      for (const [mode, env] of mappingModes) {
        it(`mapupper (${mode}): stores through writable windows reach the file, and only ASCII letters change`, function () {
          const wasm = example(this, language, "mapupper");
          const name = `upper-${language}-${mode.replace(" ", "-")}.bin`;
          fs.writeFileSync(path.join(out, name), input);
          const result = runCli(["run", "--dir-rw", `${out}::/out`, wasm, "--", `/out/${name}`], env);
          assert.equal(result.stderr, "");
          const expected = Buffer.from(input.map((byte) => (byte >= 0x61 && byte <= 0x7a ? byte - 0x20 : byte)));
          const changed = input.reduce((count, byte) => count + (byte >= 0x61 && byte <= 0x7a ? 1 : 0), 0);
          assert.ok(changed > 0);
          assert.equal(result.stdout, `changed ${changed} bytes\n`);
          assert.equal(result.code, 0);
          assert.ok(fs.readFileSync(path.join(out, name)).equals(expected));
        });
      }
    });
  }

  describe("the AssemblyScript SDK's GuestMapping (tests/guests/views.ts)", () => {
    for (const [mode, env] of mappingModes) {
      it(`${mode}: typed views read the file, empty after unmap; read-only stores stay out of the file, writable ones reach it`, () => {
        const views = temp.file(`views-${mode.replace(" ", "-")}`);
        const viewsOut = path.join(views, "out");
        fs.mkdirSync(viewsOut, { recursive: true });
        const nums = Buffer.alloc(16);
        nums.writeUInt32LE(1, 0);
        nums.writeUInt32LE(2, 4);
        nums.writeFloatLE(1.5, 8);
        nums.writeFloatLE(-10, 12);
        fs.writeFileSync(path.join(views, "nums.bin"), nums);
        fs.writeFileSync(path.join(viewsOut, "ro.bin"), "read-only bytes.");
        fs.writeFileSync(path.join(viewsOut, "rw.bin"), Buffer.alloc(16, 0x2e));
        const result = runCli(["run", "--dir", `${views}::/data`, "--dir-rw", `${viewsOut}::/out`, built("guests", "views.wasm")], env);
        assert.equal(result.stderr, "");
        assert.equal(result.code, 0);
        const sum = nums.reduce((total, byte) => total + byte, 0);
        assert.equal(result.stdout, [
          `kind ${inPlace && mode === "default" ? 1 : 0}`, "u32 2 1 2", "f32 2 3 -10",
          `unaligned ${nums.readUInt32LE(1)}`, "f64 1", "range 68 68", `gc 2 ${sum}`, "outlives 0 1",
          "advise 0 28", "unmapped 0 0 0 0", "after 28 28 28", "ro 82 0 0", "rw true 0 0 0",
          "refused 2 8", "fromFd 31 8", "",
        ].join("\n"));
        assert.equal(fs.readFileSync(path.join(viewsOut, "ro.bin"), "utf8"), "read-only bytes.");
        assert.equal(fs.readFileSync(path.join(viewsOut, "rw.bin"), "utf8"), "...VIEWED.......");
      });
    }
  });

  for (const runtime of ["node", "wasmer"] as const) {
    it(`guest mappings under ${runtime}: the guest's loads sum the file, its stores reach another`, async () => {
      fs.writeFileSync(path.join(out, "touched.bin"), Buffer.alloc(100, 0x2e));
      const result = await runGuestCapturing(built("guests", "mapsum.wasm"), {
        runtime, grants: [{ guest: "/data", host: data }, { guest: "/out", host: out, access: "rw" }],
      });
      assert.equal(result.exitCode, 0, result.stderr);
      let sum = 0;
      for (const byte of input) sum = (sum + byte) >>> 0;
      assert.equal(result.stdout, `kind ${inPlace ? 1 : 0} sum ${sum}\n`);
      assert.equal(fs.readFileSync(path.join(out, "touched.bin")).subarray(0, 12).toString(), ".....MAPPED.");
    });
  }

  describe("open_fd: a handle for a descriptor the guest opened with WASI path_open", () => {
    let files: string;
    before(() => {
      files = temp.file("openfd");
      fs.mkdirSync(files);
      fs.writeFileSync(path.join(files, "input.bin"), "HELLO world");
      fs.writeFileSync(path.join(files, "other.bin"), "OTHER");
    });
    /** What tests/guests/openfd.ts prints under node:wasi, given what rw gives. */
    const expected = (rw: string) => [
      "preopen 31", "open 0 HELLO", "map 0 HELLO", rw, "mode 28", "fault 21", "unheld 8",
      "renumber 8", "moved 0 HELLO", "closed 8", "",
    ].join("\n");

    for (const access of ["ro", "rw"] as const) {
      it(`runGuest (node, ${access} grant): read and map through it; badf when not held, after fd_renumber and fd_close`, async () => {
        const result = await runGuestCapturing(built("guests", "openfd.wasm"), { grants: [{ guest: "/data", host: files, access }] });
        assert.equal(result.exitCode, 0, result.stderr);
        // A directory is refused as open of "/data" is (isdir); rw of a read-only grant is notcapable.
        assert.equal(result.stdout, expected(access === "rw" ? "rw 0 HELLO" : "rw 76"));
      });
    }

    it("mmap-wasi run: the same", () => {
      const result = runCli(["run", "--dir", `${files}::/data`, built("guests", "openfd.wasm")]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, expected("rw 76"));
    });

    it("runGuest (wasmer): notsup, its files are not the host's", async () => {
      const result = await runGuestCapturing(built("guests", "openfd.wasm"), { runtime: "wasmer", grants: [{ guest: "/data", host: files }] });
      assert.equal(result.exitCode, 2, result.stderr); // its in-memory file system has no /data to path_open
      assert.equal(result.stdout, "preopen 58\n");
    });
  });

  it("a guest errno reaches the guest, not a trap: checksum of a path outside the grant", () => {
    const result = runCli(["run", "--dir", `${data}::/data`, built("examples", "assemblyscript", "checksum.wasm"), "--", "/etc/passwd"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /errno 76 \(notcapable\)/);
  });

  for (const runtime of ["node", "wasmer"] as const) {
    it(`runGuest (${runtime}): exit code, arguments and output through the given descriptors`, async () => {
      const result = await runGuestCapturing(built("examples", "assemblyscript", "checksum.wasm"), {
        runtime, args: ["/data/input.bin"], grants: [{ guest: "/data", host: data }],
      });
      assert.deepEqual(result, { exitCode: 0, stdout: `checksum ${fnv1a64(input)} bytes ${input.length}\n`, stderr: "" });
      assert.deepEqual(await runGuest(built("guests", "exit7.wasm"), { runtime }), { exitCode: 7 });
    });
  }

  describe("a guest that grows its memory to 256 MiB, then makes WASI calls", () => {
    const expectDone = (result: ReturnType<typeof runCli>) => {
      assert.equal(result.signal, null, `killed by ${result.signal}: ${result.stderr}`);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /memory 256 MiB, call 1900\ndone 8192000\n$/);
      assert.doesNotMatch(result.stderr, /ExperimentalWarning/);
    };

    for (const runtime of ["node", "wasmer"]) {
      it(`runs to completion under \`run --runtime ${runtime}\``, () => {
        expectDone(runCli(["run", "--runtime", runtime, built("guests", "grow.wasm")]));
      });
    }

    it("runs to completion under runGuest, with no ExperimentalWarning on stderr", () => {
      const script = `
        import { runGuest } from ${JSON.stringify(new URL("../build/lib/index.js", import.meta.url).href)};
        const { exitCode } = await runGuest(${JSON.stringify(built("guests", "grow.wasm"))});
        process.exitCode = exitCode;`;
      const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 120_000 });
      expectDone({ code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr });
    });
  });

  describe("the run command", () => {
    it("--help explains the options with an example", () => {
      const result = runCli(["run", "--help"]);
      assert.equal(result.code, 0);
      for (const word of ["--dir HOST[::GUEST]", "--dir-rw", "--runtime node|wasmer", "--env KEY=VALUE", "Example:"]) {
        assert.ok(result.stdout.includes(word), word);
      }
      assert.match(runCli(["--help"]).stdout, /run +run a WASI guest/);
    });

    it("exits with the guest's exit code", () => {
      assert.equal(runCli(["run", built("guests", "exit7.wasm")]).code, 7);
      assert.equal(runCli(["run", "--runtime", "wasmer", built("guests", "exit7.wasm")]).code, 7);
    });

    it("usage errors exit 2 with a hint; failures exit 1 naming the cause", () => {
      for (const args of [["run"], ["run", "--bogus", "x.wasm"], ["run", "--runtime", "v8", "x.wasm"], ["run", "--dir", "a::rel", "x.wasm"], ["run", "--env", "NOVALUE", "x.wasm"], ["frobnicate"]]) {
        const result = runCli(args);
        assert.equal(result.code, 2, args.join(" "));
        assert.match(result.stderr, /^mmap-wasi: .+\nRun 'mmap-wasi( run)? --help' for usage\.\n$/);
      }
      const missing = runCli(["run", temp.file("missing.wasm")]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^mmap-wasi: ENOENT: no such file or directory/);
      const badGrant = runCli(["run", "--dir", `${temp.file("nope")}::/x`, built("guests", "exit7.wasm")]);
      assert.equal(badGrant.code, 1);
      assert.match(badGrant.stderr, /ENOENT/);
    });
  });
});
