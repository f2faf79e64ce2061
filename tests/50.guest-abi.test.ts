// The guest ABI (docs/abi.md), driven from inside a real WebAssembly guest
// (tests/guests/probe.ts): every function, every errno row, the sandbox.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { openWays, openingWay, tempDir } from "./helpers.js";
import { DATA, E, OUT, PATH, coreErrnoTable, startProbe, type Probe } from "./probe.js";

/** The WASI preview1 numbers of the errnos the ABI uses (docs/abi.md, WASI's errno table). */
const WASI_ERRNOS = {
  SUCCESS: 0, ACCES: 2, BADF: 8, FAULT: 21, ILSEQ: 25, INVAL: 28, IO: 29, ISDIR: 31, MFILE: 33,
  NOENT: 44, NOMEM: 48, NOTSUP: 58, RANGE: 68, NOTCAPABLE: 76,
};

describe("guest ABI: every function through a real guest", function () {
  this.timeout(60_000);
  let temp: ReturnType<typeof tempDir>;
  let data: string;
  let out: string;
  let outside: string;
  let guest: Probe;

  beforeEach(() => {
    temp = tempDir("abi");
    data = path.join(temp.dir, "data");
    out = path.join(temp.dir, "out");
    outside = path.join(temp.dir, "outside");
    for (const dir of [data, out, outside, path.join(data, "sub")]) fs.mkdirSync(dir);
    fs.writeFileSync(path.join(data, "hello.txt"), "hello, mapped world\n");
    fs.writeFileSync(path.join(data, "sub", "deep.txt"), "deep");
    fs.writeFileSync(path.join(data, "empty"), "");
    fs.writeFileSync(path.join(outside, "secret"), "secret");
    fs.symlinkSync(path.join(outside, "secret"), path.join(data, "link-out"));
    fs.symlinkSync("hello.txt", path.join(data, "link-in"));
    guest = startProbe({
      grants: [{ guest: "/data", host: data, access: "ro" }, { guest: "/out", host: out, access: "rw" }],
    });
  });
  afterEach(() => {
    guest.mmap.close();
    temp.remove();
  });

  it("the errnos the guest core exports are WASI preview1's numbers", () => {
    assert.deepEqual(coreErrnoTable(), WASI_ERRNOS);
  });

  it("page_size is the host's page size", () => {
    assert.equal(guest.g.page_size(), 4096);
  });

  it("open ro, len, read, advise (every value), resident, close", () => {
    const [errno, handle] = guest.open("/data/hello.txt", 0);
    assert.equal(errno, E.success);
    assert.deepEqual(guest.length(handle), [E.success, 20n]);
    assert.deepEqual(guest.readText(handle, 7n, 6), [E.success, "mapped"]);
    for (let advice = 0; advice <= 5; advice++) assert.equal(guest.g.advise(handle, 1n, 10n, advice), E.success, `advice ${advice}`);
    assert.deepEqual(guest.resident(handle, 0n, 20n), [E.success, 1n]);
    assert.deepEqual(guest.resident(handle, 3n, 0n), [E.success, 0n]);
    assert.equal(guest.g.flush(handle, 0n, 20n), E.success, "flush of ro has nothing to write");
    assert.equal(guest.g.close(handle), E.success);
    assert.equal(guest.g.close(handle), E.badf, "a closed handle");
    assert.deepEqual(guest.length(handle), [E.badf, 0xffffn], "out-parameters are written only on success");
  });

  it("create, write, resize, flush: the bytes are in the host file; a cow write is not", () => {
    const [errno, handle] = guest.create("/out/new.bin", 4096n);
    assert.equal(errno, E.success);
    assert.equal(guest.writeText(handle, 0n, "hello from a guest"), E.success);
    assert.equal(guest.g.resize(handle, 8192n), E.success);
    assert.deepEqual(guest.length(handle), [E.success, 8192n]);
    assert.equal(guest.writeText(handle, 8000n, "tail"), E.success);
    assert.equal(guest.g.flush(handle, 0n, 8192n), E.success);
    const file = fs.readFileSync(path.join(out, "new.bin"));
    assert.equal(file.length, 8192);
    assert.equal(file.subarray(0, 18).toString(), "hello from a guest");
    assert.equal(file.subarray(8000, 8004).toString(), "tail");
    assert.equal(guest.g.close(handle), E.success);

    const [cowErrno, cow] = guest.open("/out/new.bin", 2);
    assert.equal(cowErrno, E.success);
    assert.equal(guest.writeText(cow, 0n, "PRIVATE"), E.success);
    assert.deepEqual(guest.readText(cow, 0n, 7), [E.success, "PRIVATE"]);
    assert.equal(guest.g.flush(cow, 0n, 8192n), E.success);
    assert.equal(guest.g.close(cow), E.success);
    assert.equal(fs.readFileSync(path.join(out, "new.bin")).subarray(0, 7).toString(), "hello f");

    const [rwErrno, rw] = guest.open("/out/new.bin", 1);
    assert.equal(rwErrno, E.success);
    assert.equal(guest.writeText(rw, 1n, "J"), E.success);
    assert.equal(guest.g.close(rw), E.success);
    assert.equal(fs.readFileSync(path.join(out, "new.bin")).subarray(0, 5).toString(), "hJllo");
  });

  it("large reads (served by pread for ro and rw) give the same bytes as the mapping; cow keeps its own", () => {
    const size = 300_000;
    const content = Buffer.from(Array.from({ length: size }, (_, i) => (i * 7) % 251));
    fs.writeFileSync(path.join(out, "big"), content);
    const handles = [0, 1, 2].map((mode) => {
      const [errno, handle] = guest.open("/out/big", mode);
      assert.equal(errno, E.success);
      return handle;
    });
    assert.equal(guest.writeText(handles[2]!, 100_000n, "COW"), E.success);
    for (const [mode, handle] of handles.entries()) {
      assert.equal(guest.g.read(handle, 1234n, DATA, 200_000), E.success);
      const expected = Buffer.from(content.subarray(1234, 201_234));
      if (mode === 2) expected.write("COW", 100_000 - 1234, "latin1");
      assert.ok(Buffer.from(guest.bytes().subarray(DATA, DATA + 200_000)).equals(expected), `mode ${mode}`);
    }
    fs.truncateSync(path.join(out, "big"), 100_000);
    assert.equal(guest.g.read(handles[0]!, 50_000n, DATA, 100_000), E.io, "a large read of a truncated file");
    assert.equal(guest.g.read(handles[1]!, 0n, DATA, 100_000), E.success, "up to the new end is fine");
    for (const handle of handles) assert.equal(guest.g.close(handle), E.success);
  });

  it("a zero-length file opens with length 0", () => {
    const [errno, handle] = guest.open("/data/empty", 0);
    assert.equal(errno, E.success);
    assert.deepEqual(guest.length(handle), [E.success, 0n]);
    assert.equal(guest.g.read(handle, 0n, DATA, 0), E.success);
    assert.equal(guest.g.read(handle, 0n, DATA, 1), E.range);
    assert.equal(guest.g.close(handle), E.success);
  });

  describe("every errno row", () => {
    it("acces: write on ro, resize on ro and cow", () => {
      const [, ro] = guest.open("/data/hello.txt", 0);
      assert.equal(guest.writeText(ro, 0n, "x"), E.acces);
      assert.equal(guest.g.resize(ro, 10n), E.acces);
      const [, cow] = guest.open("/data/hello.txt", 2);
      assert.equal(guest.g.resize(cow, 10n), E.acces);
      assert.equal(fs.readFileSync(path.join(data, "hello.txt"), "utf8"), "hello, mapped world\n");
    });

    it("badf: never opened, closed, and from another guest instance", () => {
      for (const handle of [0, 1, 12345, 0xffffffff | 0]) {
        assert.equal(guest.g.read(handle, 0n, DATA, 1), E.badf);
        assert.equal(guest.g.close(handle), E.badf);
      }
      const [, handle] = guest.open("/data/hello.txt", 0);
      const other = startProbe({ grants: [{ guest: "/data", host: data }] });
      const [, own] = other.open("/data/hello.txt", 0);
      assert.equal(other.g.read(handle, 0n, DATA, 1), E.badf, "a handle from another instance");
      assert.equal(other.g.close(handle), E.badf);
      assert.equal(guest.g.read(own, 0n, DATA, 1), E.badf, "and the other way round");
      assert.equal(guest.g.close(handle), E.success);
      const [, reused] = guest.open("/data/hello.txt", 0);
      assert.equal(guest.g.read(handle, 0n, DATA, 1), E.badf, "a closed handle stays closed when its slot is reused");
      assert.equal(guest.g.read(reused, 0n, DATA, 1), E.success);
      other.mmap.close();
    });

    it("fault: guest-memory ranges that cross the end of memory", () => {
      const size = guest.g.memory.buffer.byteLength;
      const [, handle] = guest.open("/data/hello.txt", 0);
      assert.equal(guest.g.read(handle, 0n, size - 4, 5), E.fault);
      assert.equal(guest.g.read(handle, 0n, size - 5, 5), E.success, "the last bytes of memory are fine");
      assert.equal(guest.g.read(handle, 0n, 0xffffffff | 0, 2), E.fault, "u32 pointer wrap");
      assert.equal(guest.g.write(handle, 0n, size, 1), E.acces, "mode is checked before memory");
      assert.equal(guest.g.len(handle, size - 7), E.fault);
      assert.equal(guest.g.resident(handle, 0n, 1n, size - 1), E.fault);
      assert.equal(guest.g.open(size - 2, 10, 0, OUT), E.fault);
      assert.equal(guest.g.open(PATH, 4, 0, size - 3), E.fault);
      assert.equal(guest.g.create(0xfffffff0 | 0, 0x20, 1n, OUT), E.fault);
      const [, rw] = guest.create("/out/f", 10n);
      assert.equal(guest.g.write(rw, 0n, size - 1, 2), E.fault);
    });

    it("fault follows the memory's current size: after it grows, and after another memory is attached", () => {
      const size = guest.g.memory.buffer.byteLength;
      const [, handle] = guest.open("/data/hello.txt", 0);
      assert.equal(guest.g.read(handle, 0n, size - 5, 5), E.success, "the core now knows this size");
      assert.equal(guest.g.read(handle, 0n, size, 5), E.fault);
      guest.g.grow(1);
      assert.equal(guest.g.read(handle, 0n, size, 5), E.success, "the grown part is usable at once");
      assert.equal(Buffer.from(guest.bytes().subarray(size, size + 5)).toString(), "hello");
      // A smaller memory attached later: ranges the old one had are refused, not written.
      const small = new WebAssembly.Memory({ initial: 1 });
      guest.mmap.attach(small);
      assert.equal(guest.g.read(handle, 0n, size - 5, 5), E.fault);
      assert.equal(guest.g.read(handle, 0n, 65536 - 5, 5), E.success);
      assert.equal(Buffer.from(small.buffer, 65536 - 5, 5).toString(), "hello");
      guest.mmap.attach(guest.g.memory);
      assert.equal(guest.g.read(handle, 0n, size - 5, 5), E.success, "and back");
    });

    it("ilseq: a path that is not valid UTF-8", () => {
      for (const bad of [[0x2f, 0xff], [0x2f, 0xc0, 0xaf], [0x2f, 0xed, 0xa0, 0x80], [0x2f, 0xe2, 0x82]]) {
        assert.equal(guest.open(new Uint8Array(bad), 0)[0], E.ilseq, JSON.stringify(bad));
      }
      assert.equal(guest.open("/data/ünïcødé-missing", 0)[0], E.noent, "valid UTF-8 goes on to the file system");
    });

    it("inval: bad mode, bad advice, empty path, NUL byte", () => {
      assert.equal(guest.open("/data/hello.txt", 3)[0], E.inval);
      assert.equal(guest.open("/data/hello.txt", -1)[0], E.inval);
      assert.equal(guest.open("", 0)[0], E.inval);
      assert.equal(guest.open("/data/hello.txt\0.evil", 0)[0], E.inval);
      const [, handle] = guest.open("/data/hello.txt", 0);
      for (const advice of [6, 16, -1, 255]) assert.equal(guest.g.advise(handle, 0n, 1n, advice), E.inval, `advice ${advice}`);
      assert.equal(guest.g.advise(handle, 0n, 0n, 99), E.inval, "advice is checked before the len-0 no-op");
    });

    it("io: a host failure with no better errno (the file was truncated beneath the mapping)", () => {
      const [, handle] = guest.create("/out/shrinks", 65536n);
      assert.equal(guest.writeText(handle, 60000n, "gone soon"), E.success);
      fs.truncateSync(path.join(out, "shrinks"), 4096);
      assert.equal(guest.g.read(handle, 60000n, DATA, 9), E.io);
      assert.equal(guest.writeText(handle, 8192n, "x"), E.io);
      assert.deepEqual(guest.readText(handle, 0n, 4), [E.success, "\0\0\0\0"], "what is left still reads");
      assert.equal(guest.g.close(handle), E.success);
    });

    it("isdir: open of a folder, create of the grant itself", () => {
      assert.equal(guest.open("/data/sub", 0)[0], E.isdir);
      assert.equal(guest.open("/data", 2)[0], E.isdir);
      assert.equal(guest.create("/out", 10n)[0], E.isdir);
      assert.equal(guest.create("/out/", 10n)[0], E.isdir);
    });

    it("mfile: the limit on open handles", () => {
      const limited = startProbe({ grants: [{ guest: "/data", host: data }], limits: { maxHandles: 2 } });
      const first = limited.open("/data/hello.txt", 0);
      assert.equal(first[0], E.success);
      assert.equal(limited.open("/data/hello.txt", 0)[0], E.success);
      assert.equal(limited.open("/data/hello.txt", 0)[0], E.mfile);
      assert.equal(limited.g.close(first[1]), E.success);
      assert.equal(limited.open("/data/hello.txt", 0)[0], E.success, "closing frees a handle");
      limited.mmap.close();
    });

    it("noent: no such file, no such parent folder", () => {
      assert.equal(guest.open("/data/missing", 0)[0], E.noent);
      assert.equal(guest.create("/out/missing-dir/file", 10n)[0], E.noent);
      assert.equal(guest.open("/data/hello.txt/x", 0)[0], E.noent);
    });

    it("nomem: the limit on mapped bytes (open, create, resize)", () => {
      const limited = startProbe({
        grants: [{ guest: "/data", host: data }, { guest: "/out", host: out, access: "rw" }],
        limits: { maxMappedBytes: 30 },
      });
      const [, first] = limited.open("/data/hello.txt", 0); // 20 bytes
      assert.equal(limited.open("/data/hello.txt", 0)[0], E.nomem, "20 + 20 > 30");
      assert.equal(limited.create("/out/big", 11n)[0], E.nomem);
      assert.equal(fs.existsSync(path.join(out, "big")), false, "a refused create creates nothing");
      const [errno, small] = limited.create("/out/small", 10n);
      assert.equal(errno, E.success);
      assert.equal(limited.g.resize(small, 11n), E.nomem);
      assert.equal(limited.g.resize(small, 5n), E.success);
      assert.equal(limited.g.close(first), E.success);
      assert.equal(limited.g.resize(small, 30n), E.success, "closing gives the bytes back");
      limited.mmap.close();
    });

    it("notsup: dontneed on a cow mapping", () => {
      const [, cow] = guest.open("/data/hello.txt", 2);
      assert.equal(guest.writeText(cow, 0n, "J"), E.success);
      assert.equal(guest.g.advise(cow, 0n, 20n, 4), E.notsup);
      assert.deepEqual(guest.readText(cow, 0n, 5), [E.success, "Jello"], "the private write survives");
      const [, ro] = guest.open("/data/hello.txt", 0);
      assert.equal(guest.g.advise(ro, 0n, 20n, 4), E.success);
    });

    it("range: out of bounds, and offset + len overflowing u64", () => {
      const [, handle] = guest.open("/data/hello.txt", 0);
      const max = 2n ** 64n - 1n;
      assert.equal(guest.g.read(handle, 20n, DATA, 1), E.range);
      assert.equal(guest.g.read(handle, 16n, DATA, 5), E.range);
      assert.equal(guest.g.read(handle, max, DATA, 1), E.range, "u64 overflow");
      assert.equal(guest.g.advise(handle, 1n, max, 0), E.range, "u64 overflow");
      assert.equal(guest.g.advise(handle, max, max, 3), E.range);
      assert.equal(guest.g.flush(handle, 2n ** 63n, 2n ** 63n), E.range);
      assert.deepEqual(guest.resident(handle, 0n, 21n), [E.range, 0xffffn]);
      const [, rw] = guest.create("/out/r", 10n);
      assert.equal(guest.g.write(rw, 8n, DATA, 3), E.range);
      assert.equal(guest.g.resize(rw, max), E.inval, "a length beyond 2^53 - 1 cannot be a file's");
    });

    // Both ways a guest's open can go must give the same answers.
    for (const { way, byHand } of openWays) {
      it(`notcapable: the sandbox, ${way}`, () => openingWay(byHand, sandboxChecks));
    }

    function sandboxChecks() {
      const refused = [
        "/data/../outside/secret", "/data/sub/../../outside/secret", "/outside/secret", "/",
        "data/hello.txt", "./data/hello.txt", "/data/link-out", "/database",
      ];
      for (const guestPath of refused) assert.equal(guest.open(guestPath, 0)[0], E.notcapable, guestPath);
      assert.equal(guest.open("/data/hello.txt", 1)[0], E.notcapable, "rw beneath an ro grant");
      assert.equal(guest.create("/data/new", 10n)[0], E.notcapable, "create beneath an ro grant");
      assert.equal(fs.existsSync(path.join(data, "new")), false);
      assert.equal(guest.open("/data/./sub/../link-in", 0)[0], E.success, "links inside the grant are fine");
      // Absolute links, and ways out and back in, are what openat2 leaves to the walk by hand.
      fs.symlinkSync(path.join(data, "hello.txt"), path.join(data, "absolute-in"));
      fs.symlinkSync("../../data/hello.txt", path.join(data, "sub", "out-and-back"));
      fs.symlinkSync("../outside/secret", path.join(data, "relative-out"));
      for (const inside of ["/data/absolute-in", "/data/sub/out-and-back"]) {
        const [errno, handle] = guest.open(inside, 0);
        assert.equal(errno, E.success, inside);
        assert.deepEqual(guest.readText(handle, 0n, 5), [E.success, "hello"], inside);
        guest.g.close(handle);
      }
      assert.equal(guest.open("/data/relative-out", 0)[0], E.notcapable, "a relative link out");
      assert.equal(guest.open("/../data/hello.txt", 0)[0], E.success, "`..` never climbs above /");
      fs.symlinkSync(path.join(outside, "secret"), path.join(out, "trap"));
      assert.equal(guest.create("/out/trap", 1n)[0], E.notcapable, "create never follows a link");
      fs.symlinkSync(outside, path.join(out, "dirlink"));
      assert.equal(guest.create("/out/dirlink/x", 1n)[0], E.notcapable);
      assert.equal(guest.open("/out/dirlink/secret", 1)[0], E.notcapable);
      fs.writeFileSync(path.join(out, "plain"), "");
      assert.equal(guest.create("/out/plain/x", 1n)[0], E.noent, "a file where the folder should be");
      fs.symlinkSync(out, path.join(out, "self"));
      const [made, handle] = guest.create("/out/self/made", 3n);
      assert.equal(made, E.success, "create through an absolute link to a folder inside");
      guest.g.close(handle);
      assert.equal(fs.statSync(path.join(out, "made")).size, 3);
      assert.equal(fs.readFileSync(path.join(outside, "secret"), "utf8"), "secret", "nothing outside changed");
      assert.deepEqual(fs.readdirSync(outside), ["secret"]);
    }

    it("a grant's folder swapped for a link (or another folder) is not walked: notcapable, nothing made outside", () => {
      fs.writeFileSync(path.join(out, "mine"), "mine");
      fs.writeFileSync(path.join(outside, "theirs"), "theirs");
      fs.renameSync(out, `${out}.moved`);
      fs.symlinkSync(outside, out);
      assert.equal(guest.open("/out/theirs", 0)[0], E.notcapable, "open through the swapped-in link");
      assert.equal(guest.create("/out/made", 1n)[0], E.notcapable, "create through the swapped-in link");
      assert.deepEqual(fs.readdirSync(outside).sort(), ["secret", "theirs"], "nothing was made outside");
      fs.unlinkSync(out);
      fs.mkdirSync(out); // another folder at the grant's path: its files are beneath the path
      fs.writeFileSync(path.join(out, "new-folder"), "new");
      assert.equal(guest.open("/out/new-folder", 0)[0], E.success, "the grant is its path, as when resolved by hand");
      fs.rmSync(out, { recursive: true });
      fs.renameSync(`${out}.moved`, out);
      assert.equal(guest.open("/out/mine", 0)[0], E.success, "the folder back in place");
    });
  });

  it("no argument makes the guest trap", () => {
    const values = [0, 1, -1, 0x7fffffff, 0x80000000 | 0, 0xffffffff | 0, 4096, 65536];
    const bigs = [0n, 1n, 2n ** 32n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];
    const [, handle] = guest.open("/data/hello.txt", 2);
    const handles = [...values, handle];
    let calls = 0;
    for (const h of handles) {
      for (const a of values) {
        for (const big of bigs) {
          guest.g.read(h, big, a, a & 0xffff);
          guest.g.write(h, big, a, a & 0xffff);
          guest.g.advise(h, big, big, a);
          guest.g.flush(h, big, big);
          guest.g.resident(h, big, big, a);
          guest.g.len(h, a);
          guest.g.open(a, a, a, a);
          guest.g.create(a, a & 0xffff, big, a);
          calls += 8;
        }
      }
    }
    assert.equal(calls, 9 * 8 * 6 * 8);
    assert.equal(guest.g.close(handle), E.success);
  });
});
