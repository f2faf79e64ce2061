// Guest mappings (ABI version 2, docs/abi.md): map, unmap, sync, madvise and map_kind
// from inside a real guest (tests/guests/probe.ts), whose own loads and stores go through
// the mapping. Every behaviour is checked twice: with the file's pages in place where
// this machine allows it, and with copies forced; both must give the same results.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { native } from "../build/lib/native.js";
import { coreConstant, instantiateGuestCore, type GuestCore } from "../build/lib/guest/guest-core.js";
import { describeOnLinux, libraryUrl, runModuleScript, tempDir } from "./helpers.js";
import { DATA, E, OUT, startProbe, type Probe } from "./probe.js";

const PAGE = 4096;
const U64_MAX = 2n ** 64n - 1n;
const PROT_READ = 1;
const PROT_RW = 3;

/** 64 KiB of recognisable bytes: byte i is i mod 251. */
const CONTENT = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => i % 251));
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");

const inPlaceHere = ["linux", "darwin", "freebsd"].includes(process.platform) && ["x64", "arm64"].includes(process.arch);

describe("guest ABI version 2: map_kind", () => {
  it(`is 1 (in place) on this ${process.platform}-${process.arch} host, 0 when copies are forced, by option or environment`, () => {
    const temp = tempDir("mapkind");
    try {
      const auto = startProbe({});
      // V8 reserves every memory's 4 GiB range; JavaScriptCore only a few at a time (below).
      const reserved = native.guestReserved(auto.g.memory) === 1;
      if (!("Bun" in globalThis)) assert.equal(reserved, inPlaceHere, "the memory's range is reserved");
      assert.equal(auto.g.map_kind(), inPlaceHere && reserved ? 1 : 0);
      auto.mmap.close();
      const copy = startProbe({ guestMappings: "copy" });
      assert.equal(copy.g.map_kind(), 0);
      copy.mmap.close();
      process.env.MMAP_WASI_GUEST_MAPPINGS = "copy";
      try {
        const env = startProbe({});
        assert.equal(env.g.map_kind(), 0);
        env.mmap.close();
      } finally {
        delete process.env.MMAP_WASI_GUEST_MAPPINGS;
      }
      assert.throws(() => startProbe({ guestMappings: "fast" as "auto" }), { code: "ERR_MMAP_INVALID_ARGUMENT" });
    } finally {
      temp.remove();
    }
  });
});

describe("guest ABI version 2: a memory the engine would move as it grows", function () {
  this.timeout(60_000);
  it("gets copies, and a store after a large grow still reaches the file", () => {
    const temp = tempDir("guestmap-moving");
    // A first guest, made while the engine still reserves whole ranges. JavaScriptCore
    // reserves the range of only 8 memories alive at once (Bun 1.4) and makes the others
    // in its heap, where a grow moves them: hold more than that.
    const guests: Probe[] = [startProbe({})];
    const held = Array.from({ length: 12 }, () => new WebAssembly.Memory({ initial: 1 }));
    const kinds: number[] = [];
    try {
      fs.writeFileSync(path.join(temp.dir, "f"), CONTENT);
      for (let i = 0; i < 4; i++) {
        const guest = startProbe({ grants: [{ guest: "/g", host: temp.dir, access: "rw" }] });
        guests.push(guest);
        const [, handle] = guest.open("/g/f", 1);
        const [errno, addr] = guest.map(handle, 0n, 8192n, PROT_RW);
        assert.equal(errno, E.success, `guest ${i}: map`);
        const kind = guest.g.map_kind();
        kinds.push(kind);
        const base = native.guestBase(guest.g.memory);
        guest.g.grow(16_000); // 1000 MiB
        if (kind === 1) assert.equal(native.guestBase(guest.g.memory), base, `guest ${i}: in place, the memory stayed where it was`);
        guest.g.store_u8(addr + 100 + i, 0xa0 + i);
        assert.equal(guest.g.sync(addr, 8192n), E.success, `guest ${i}: sync`);
        assert.equal(fs.readFileSync(path.join(temp.dir, "f"))[100 + i], 0xa0 + i, `guest ${i} (map_kind ${kind}): the store reached the file`);
      }
      // V8 reserves every memory's range, so there every guest is in place; with 12 more
      // memories alive, JavaScriptCore reserves none for these guests, which get copies.
      const expected = !inPlaceHere ? 0 : "Bun" in globalThis ? 0 : 1;
      assert.deepEqual(kinds, [expected, expected, expected, expected], "map_kind of each guest");
    } finally {
      for (const guest of guests) guest.mmap.close();
      held.length = 0;
      temp.remove();
    }
  });
});

for (const how of ["auto", "copy"] as const) {
  describe(`guest ABI version 2: guest mappings (${how === "auto" ? "in place where possible" : "copies forced"})`, function () {
    this.timeout(60_000);
    let temp: ReturnType<typeof tempDir>;
    let file: string;
    let guest: Probe;
    const inPlace = () => guest.g.map_kind() === 1;
    const open = (mode: number, name = "/g/f") => {
      const [errno, handle] = guest.open(name, mode);
      assert.equal(errno, E.success, `open mode ${mode}`);
      return handle;
    };
    const map = (handle: number, offset: bigint, len: bigint, prot: number) => {
      const [errno, addr] = guest.map(handle, offset, len, prot);
      assert.equal(errno, E.success, `map ${offset}+${len} prot ${prot}`);
      return addr;
    };
    const onDisk = (at: number, len: number) => text(fs.readFileSync(file).subarray(at, at + len));

    beforeEach(() => {
      temp = tempDir("guestmap");
      fs.mkdirSync(path.join(temp.dir, "ro"));
      file = path.join(temp.dir, "f");
      fs.writeFileSync(file, CONTENT);
      fs.writeFileSync(path.join(temp.dir, "ro", "r"), CONTENT);
      guest = startProbe({
        grants: [{ guest: "/g", host: temp.dir, access: "rw" }, { guest: "/r", host: path.join(temp.dir, "ro") }],
        guestMappings: how,
      });
    });
    afterEach(() => {
      guest.mmap.close();
      temp.remove();
    });

    it("map: the guest's loads see the file's bytes, at an address congruent to the offset modulo the page", () => {
      const memoryBefore = guest.g.memory.buffer.byteLength;
      const handle = open(0);
      for (const [offset, len] of [[0, 1], [5000, 3000], [4095, 2], [60_000, 5536], [0, 65_536]] as const) {
        const addr = map(handle, BigInt(offset), BigInt(len), PROT_READ);
        assert.equal(addr % PAGE, offset % PAGE, "congruent");
        assert.ok(addr >= memoryBefore, "in memory the guest did not have before");
        assert.ok(addr + len <= guest.g.memory.buffer.byteLength);
        let sum = 0;
        for (let i = offset; i < offset + len; i++) sum += CONTENT[i]!;
        assert.equal(guest.g.sum_bytes(addr, len), sum, `bytes ${offset}+${len}`);
        assert.equal(text(guest.bytes().subarray(addr, addr + len)), text(CONTENT.subarray(offset, offset + len)));
      }
    });

    it("mappings never overlap each other, and an unmapped span is reused", () => {
      const handle = open(0);
      const spans: Array<[number, number]> = [];
      const addrs: number[] = [];
      for (let i = 0; i < 6; i++) {
        const offset = i * 3000;
        const addr = map(handle, BigInt(offset), 7000n, PROT_READ);
        addrs.push(addr);
        const start = addr - (addr % PAGE);
        spans.push([start, Math.ceil((addr + 7000) / PAGE) * PAGE]);
      }
      for (const [i, a] of spans.entries()) {
        for (const b of spans.slice(i + 1)) assert.ok(a[1] <= b[0] || b[1] <= a[0], `${a} and ${b} overlap`);
      }
      const size = guest.g.memory.buffer.byteLength;
      assert.equal(guest.g.unmap(addrs[2]!, 7000n), E.success);
      assert.equal(guest.loadText(addrs[2]!, 4), "\0\0\0\0", "an unmapped range reads as zeros");
      const again = map(handle, 6000n, 7000n, PROT_READ);
      assert.equal(again, addrs[2], "the released span is reused");
      assert.equal(guest.g.memory.buffer.byteLength, size, "without growing the memory");
      assert.equal(guest.loadText(again, 3), text(CONTENT.subarray(6000, 6003)));
    });

    it("2 MiB or more in place: host address and file offset agree modulo 2 MiB (huge pages fit); reuse keeps it", () => {
      const HUGE = 2 * 1024 * 1024;
      const big = path.join(temp.dir, "big");
      fs.writeFileSync(big, "");
      fs.truncateSync(big, 16 * HUGE);
      const fd = fs.openSync(big, "r+");
      for (let at = 0; at < 16 * HUGE; at += PAGE) fs.writeSync(fd, Buffer.from([(at / PAGE) % 251]), 0, 1, at);
      fs.closeSync(fd);
      const handle = open(0, "/g/big");
      const small = map(handle, 12_288n, 5000n, PROT_READ); // leaves the next free byte unaligned
      const agree = (addr: number, offset: number) => {
        const pageStart = addr - (offset % PAGE); // the file's bytes are marked at page starts
        assert.equal(guest.loadText(pageStart, 1), String.fromCharCode(Math.floor(offset / PAGE) % 251), `the page of ${offset}`);
        if (inPlace()) assert.equal((native.guestBase(guest.g.memory) + addr) % HUGE, offset % HUGE, `map of ${offset}: host address modulo 2 MiB`);
      };
      const layouts = [[0, 3 * HUGE], [HUGE + 5 * PAGE, 2 * HUGE], [7 * HUGE + 123, HUGE + 9]] as const;
      const addrs = layouts.map(([offset, len]) => {
        const addr = map(handle, BigInt(offset), BigInt(len), PROT_READ);
        agree(addr, offset);
        return addr;
      });
      assert.equal(guest.g.unmap(addrs[0]!, BigInt(3 * HUGE)), E.success);
      const size = guest.g.memory.buffer.byteLength;
      const again = map(handle, BigInt(4 * HUGE + 7 * PAGE), BigInt(2 * HUGE), PROT_READ);
      agree(again, 4 * HUGE + 7 * PAGE);
      assert.equal(guest.g.memory.buffer.byteLength, size, "the released 6 MiB served it without growing");
      assert.equal(guest.g.unmap(small, 5000n), E.success);
    });

    it("rw, prot 3: stores reach the file (in place: at once), sync makes them durable; read() sees them", () => {
      const handle = open(1);
      const addr = map(handle, 10_000n, 20_000n, PROT_RW);
      guest.storeText(addr + 5, "STORED");
      if (inPlace()) assert.equal(onDisk(10_005, 6), "STORED", "in place, a store is the file's at once");
      assert.equal(guest.g.sync(addr, 20_000n), E.success);
      assert.equal(onDisk(10_005, 6), "STORED");
      assert.deepEqual(guest.readText(handle, 10_005n, 6), [E.success, "STORED"]);
      assert.equal(guest.g.sync(addr + 7, 0n), E.success, "an empty range inside the mapping");
    });

    it("flush(handle) also makes the handle's writable mappings durable; unmap writes back", () => {
      const handle = open(1);
      const first = map(handle, 0n, 100n, PROT_RW);
      const second = map(handle, 30_000n, 100n, PROT_RW);
      guest.storeText(first, "FIRST");
      guest.storeText(second + 10, "SECOND");
      assert.equal(guest.g.flush(handle, 0n, 10n), E.success);
      assert.equal(onDisk(0, 5), "FIRST");
      assert.equal(onDisk(30_010, 6), "SECOND");
      guest.storeText(first + 50, "UNMAPPED");
      assert.equal(guest.g.unmap(first, 100n), E.success);
      assert.equal(onDisk(50, 8), "UNMAPPED");
    });

    it("prot 1 of an rw handle is read-only: a store never reaches the file", () => {
      const handle = open(1);
      const addr = map(handle, 0n, 8192n, PROT_READ);
      guest.g.grow(1); // the engine makes the whole memory writable again
      guest.storeText(addr + 100, "NOPE");
      guest.bytes().set(Buffer.from("HOST"), addr + 200);
      assert.equal(guest.g.sync(addr, 8192n), E.success, "sync of a read-only mapping: nothing to write");
      assert.equal(guest.g.flush(handle, 0n, 8192n), E.success);
      assert.equal(guest.g.unmap(addr, 8192n), E.success);
      assert.equal(onDisk(100, 4), text(CONTENT.subarray(100, 104)));
      assert.equal(onDisk(200, 4), text(CONTENT.subarray(200, 204)));
      assert.deepEqual(guest.readText(handle, 100n, 4), [E.success, text(CONTENT.subarray(100, 104))]);
    });

    it("cow, prot 3: stores stay private to the mapping", () => {
      const cow = open(2);
      const rw = open(1);
      const addr = map(cow, 0n, 4096n, PROT_RW);
      const other = map(rw, 0n, 4096n, PROT_READ);
      guest.storeText(addr + 1, "PRIVATE");
      assert.equal(guest.loadText(addr + 1, 7), "PRIVATE");
      assert.equal(guest.g.sync(addr, 4096n), E.success);
      assert.equal(guest.g.flush(cow, 0n, 4096n), E.success);
      assert.equal(guest.loadText(other + 1, 7), text(CONTENT.subarray(1, 8)), "another mapping does not see it");
      assert.equal(onDisk(1, 7), text(CONTENT.subarray(1, 8)));
      assert.equal(guest.g.madvise(addr, 4096n, 4), E.notsup, "dontneed would discard the private stores");
    });

    it("a memory that grows after map keeps every mapping where it is and what it shows", () => {
      const handle = open(1);
      const addr = map(handle, 4096n, 4096n, PROT_RW);
      const before = guest.loadText(addr, 16);
      assert.notEqual(guest.g.grow(256), -1);
      assert.equal(guest.loadText(addr, 16), before);
      guest.storeText(addr, "AFTERGROW");
      assert.equal(guest.g.sync(addr, 4096n), E.success);
      assert.equal(onDisk(4096, 9), "AFTERGROW");
      const later = map(handle, 0n, 10n, PROT_READ);
      assert.equal(guest.loadText(later, 10), onDisk(0, 10));
    });

    it("a mapping outlives close(handle); unmap after it still writes back", () => {
      const handle = open(1);
      const addr = map(handle, 0n, 1000n, PROT_RW);
      assert.equal(guest.g.close(handle), E.success);
      assert.equal(guest.loadText(addr, 5), text(CONTENT.subarray(0, 5)));
      guest.storeText(addr, "OUTLIVES");
      assert.equal(guest.g.sync(addr, 1000n), E.success);
      assert.equal(onDisk(0, 8), "OUTLIVES");
      guest.storeText(addr + 500, "LAST");
      assert.equal(guest.g.unmap(addr, 1000n), E.success);
      assert.equal(onDisk(500, 4), "LAST");
      assert.equal(guest.g.map(handle, 0n, 1n, PROT_READ, OUT), E.badf);
    });

    it("the import object's close() releases every mapping: its memory reads zeros, the areas are given back", () => {
      const areas = native.areasInUse();
      const handle = open(1);
      const addrs = [map(handle, 0n, 100n, PROT_READ), map(handle, 100n, 100n, PROT_RW), map(handle, 9000n, 9000n, PROT_READ)];
      if (inPlace()) assert.equal(native.areasInUse(), areas + 1 + 3 * 2, "each mapping counts toward vm.max_map_count");
      guest.mmap.close();
      assert.equal(native.areasInUse(), areas);
      for (const addr of addrs) assert.equal(guest.loadText(addr, 4), "\0\0\0\0");
      assert.equal(guest.g.unmap(addrs[0]!, 100n), E.inval, "nothing is mapped any more");
    });

    it("madvise: every advice value inside one mapping; willneed brings the range in", () => {
      const handle = open(0);
      const addr = map(handle, 100n, 60_000n, PROT_READ);
      for (let advice = 0; advice <= 5; advice++) {
        assert.equal(guest.g.madvise(addr + 10, 50_000n, advice), E.success, `advice ${advice}`);
      }
      assert.equal(guest.g.madvise(addr, 0n, 3), E.success);
      assert.equal(guest.g.sum_bytes(addr, 10), [...CONTENT.subarray(100, 110)].reduce((a, b) => a + b));
    });

    it("map errnos, in their order: badf, inval/fault, acces, range, nomem", () => {
      const ro = open(0, "/r/r");
      const rw = open(1);
      const size = guest.g.memory.buffer.byteLength;
      guest.view().setUint32(OUT, 0xdeadbeef, true);
      const m = (...args: [number, bigint, bigint, number, number]) => guest.g.map(...args);
      assert.equal(m(0x7fff_ffff, 0n, 1n, PROT_READ, OUT), E.badf);
      assert.equal(m(0x7fff_ffff, 0n, 0n, 0, size), E.badf, "badf before everything");
      for (const prot of [0, 2, 4, 7, -1]) assert.equal(m(rw, 0n, 1n, prot, OUT), E.inval, `prot ${prot}`);
      assert.equal(m(rw, 0n, 0n, PROT_READ, OUT), E.inval, "len 0");
      assert.equal(m(ro, 0n, 0n, PROT_RW, size), E.inval, "inval before fault and acces");
      assert.equal(m(rw, 0n, 1n, PROT_READ, size - 3), E.fault);
      assert.equal(m(rw, 0n, 1n, PROT_READ, -1), E.fault);
      assert.equal(m(ro, 0n, 1n, PROT_RW, size), E.fault, "fault before acces");
      assert.equal(m(ro, 0n, 1n, PROT_RW, OUT), E.acces);
      assert.equal(m(ro, U64_MAX, 2n, PROT_RW, OUT), E.acces, "acces before range");
      assert.equal(m(ro, 0n, 65_537n, PROT_READ, OUT), E.range);
      assert.equal(m(ro, 65_536n, 1n, PROT_READ, OUT), E.range);
      assert.equal(m(ro, U64_MAX, 1n, PROT_READ, OUT), E.range, "UINT64_MAX is not -1");
      assert.equal(m(ro, 1n, U64_MAX, PROT_READ, OUT), E.range, "offset + len overflows");
      assert.equal(guest.view().getUint32(OUT, true), 0xdeadbeef, "out-parameters are written only on success");
      assert.equal(guest.g.memory.buffer.byteLength, size, "no failed call grew the memory");
      assert.equal(m(ro, 65_536n, 0n, PROT_READ, OUT), E.inval);
      assert.equal(m(ro, 65_535n, 1n, PROT_READ, OUT), E.success);
    });

    it("nomem: the host's maxMappedBytes, or a memory that cannot grow by enough; nothing is taken", () => {
      const limited = startProbe({ grants: [{ guest: "/g", host: temp.dir, access: "rw" }], limits: { maxMappedBytes: 100_000 }, guestMappings: how });
      try {
        const [, handle] = limited.open("/g/f", 0); // 64 KiB of the budget
        assert.equal(limited.g.map(handle, 0n, 40_000n, PROT_READ, OUT), E.nomem);
        assert.equal(limited.g.map(handle, 0n, 30_000n, PROT_READ, OUT), E.success, "32 KiB of pages fit");
        assert.equal(limited.g.map(handle, 0n, 1n, PROT_READ, OUT), E.nomem);
        assert.equal(limited.g.map(handle, 70_000n, 1n, PROT_READ, OUT), E.range, "range before nomem");
      } finally {
        limited.mmap.close();
      }
      // A memory whose maximum is reached: the host cannot grow it.
      const mmapImports = startProbe({ grants: [{ guest: "/g", host: temp.dir, access: "rw" }], guestMappings: how });
      try {
        const [, handle] = mmapImports.open("/g/f", 0);
        const pages = mmapImports.g.memory.buffer.byteLength / 65536;
        assert.equal(mmapImports.g.grow(65536 - pages - 1), pages, "grown to 64 KiB short of 4 GiB");
        const [errno, addr] = mmapImports.map(handle, 0n, 65_536n, PROT_READ);
        assert.equal(errno, E.success, "the last 64 KiB page");
        assert.equal(addr, 65535 * 65536);
        assert.equal(mmapImports.g.map(handle, 0n, 1n, PROT_READ, OUT), E.nomem, "4 GiB is the most a memory holds");
        assert.equal(mmapImports.g.unmap(addr, 65_536n), E.success);
        assert.equal(mmapImports.g.map(handle, 0n, 1n, PROT_READ, OUT), E.success, "the released page serves again");
      } finally {
        mmapImports.mmap.close();
      }
    });

    it("unmap: exactly one live mapping, else inval", () => {
      const handle = open(0);
      const addr = map(handle, 10n, 5000n, PROT_READ);
      assert.equal(guest.g.unmap(addr, 4999n), E.inval);
      assert.equal(guest.g.unmap(addr, 5001n), E.inval);
      assert.equal(guest.g.unmap(addr - 10, 5010n), E.inval, "the span is not the mapping");
      assert.equal(guest.g.unmap(addr + 1, 4999n), E.inval);
      assert.equal(guest.g.unmap(DATA, 10n), E.inval, "never mapped");
      assert.equal(guest.g.unmap(addr, 5000n), E.success);
      assert.equal(guest.g.unmap(addr, 5000n), E.inval, "already released");
      assert.equal(guest.g.unmap(-1, U64_MAX), E.inval);
    });

    it("sync and madvise: a range inside one mapping, advice 0 to 5, else inval", () => {
      const handle = open(1);
      const a = map(handle, 0n, 5000n, PROT_RW);
      const b = map(handle, 5000n, 5000n, PROT_RW);
      for (const call of [(x: number, l: bigint) => guest.g.sync(x, l), (x: number, l: bigint) => guest.g.madvise(x, l, 0)]) {
        assert.equal(call(a, 5000n), E.success);
        assert.equal(call(a + 4999, 1n), E.success);
        assert.equal(call(a + 5000, 0n), E.success, "an empty range at the end");
        assert.equal(call(a, 5001n), E.inval, "past the end");
        assert.equal(call(a - 1, 2n), E.inval, "before the start");
        assert.equal(call(a + 4000, U64_MAX), E.inval, "addr + len overflows");
        assert.equal(call(DATA, 1n), E.inval, "not a mapping");
        if (b === a + 5000) assert.equal(call(a, 10_000n), E.inval, "across two mappings");
      }
      assert.equal(guest.g.madvise(a, 10n, 6), E.inval);
      assert.equal(guest.g.madvise(a, 10n, -1), E.inval);
      assert.equal(guest.g.madvise(DATA, 10n, 6), E.inval);
    });

    it("no argument value traps or crashes the host", () => {
      const handle = open(1);
      const values = [0n, 1n, 4095n, 4096n, 65_535n, 65_536n, 2n ** 32n, 2n ** 53n, 2n ** 63n, U64_MAX];
      const ints = [0, 1, -1, 0x7fff_ffff, -0x8000_0000, OUT, DATA];
      for (const offset of values) {
        for (const len of values) {
          for (const prot of [0, 1, 3]) {
            const errno = guest.g.map(handle, offset, len, prot, OUT);
            if (errno === E.success) assert.equal(guest.g.unmap(guest.view().getUint32(OUT, true), len), E.success);
          }
        }
      }
      for (const addr of ints) {
        for (const len of values) {
          guest.g.unmap(addr, len);
          guest.g.sync(addr, len);
          for (const advice of [-1, 0, 3, 4, 6]) guest.g.madvise(addr, len, advice);
        }
      }
    });
  });
}

describeOnLinux("guest ABI version 2: a file truncated beneath a guest mapping", "truncate(1)", function () {
  this.timeout(60_000);
  for (const how of ["auto", "copy"] as const) {
    it(`${how}: the process lives, a load reads zeros, and later calls on the handle are io`, () => {
      const temp = tempDir("guestmap-trunc");
      const file = path.join(temp.dir, "f");
      fs.writeFileSync(file, Buffer.alloc(64 * 1024, 7));
      const guest = startProbe({ grants: [{ guest: "/g", host: temp.dir, access: "rw" }], guestMappings: how });
      try {
        const [, handle] = guest.open("/g/f", 1);
        const [, other] = guest.open("/g/f", 0);
        const [, addr] = guest.map(handle, 0n, 65_536n, PROT_RW);
        const [, ro] = guest.map(handle, 0n, 65_536n, PROT_READ);
        assert.equal(spawnSync("truncate", ["-s", "4096", file]).status, 0);
        if (guest.g.map_kind() === 1) {
          assert.equal(guest.g.load_u8(addr + 40_000), 0, "a lost page reads as zeros");
          assert.equal(guest.g.load_u8(ro + 50_000), 0);
          guest.g.store_u8(addr + 30_000, 9); // lands on a zero page of this process
          assert.equal(guest.g.load_u8(addr + 100), 7, "what is left is still the file");
          assert.deepEqual(guest.readText(handle, 0n, 2)[0], E.io, "later calls on the handle: io");
          assert.equal(guest.g.flush(handle, 0n, 10n), E.io);
          assert.deepEqual(guest.readText(other, 0n, 2)[0], E.io, "and on the file's other handles");
        }
        assert.equal(guest.g.sync(addr, 65_536n), E.io);
        assert.equal(guest.g.map(handle, 0n, 65_536n, PROT_READ, OUT), E.io, "the file no longer holds the range");
        assert.equal(guest.g.unmap(addr, 65_536n), guest.g.map_kind() === 1 ? E.success : E.io);
        assert.equal(fs.statSync(file).size, 4096, "nothing grew the file back");
      } finally {
        guest.mmap.close();
        temp.remove();
      }
    });
  }
});

/**
 * The start of a child process's module script: the library, the addon, and `start()`,
 * which makes a probe guest with a read-write grant of `dir` as /g and opens /g/f rw:
 * `{ g, handle }`.
 */
const childGuests = (dir: string) => `
  import { createMmapImports } from ${JSON.stringify(libraryUrl)};
  import { native } from ${JSON.stringify(new URL("../build/lib/native.js", import.meta.url).href)};
  import { readFileSync, truncateSync } from "node:fs";
  const module = new WebAssembly.Module(readFileSync(${JSON.stringify(new URL("../build/guests/probe.wasm", import.meta.url).pathname)}));
  const start = () => {
    const mmap = createMmapImports({ grants: [{ guest: "/g", host: ${JSON.stringify(dir)}, access: "rw" }] });
    const instance = new WebAssembly.Instance(module, mmap.imports);
    mmap.attach(instance);
    const g = instance.exports;
    g.grow(2);
    new Uint8Array(g.memory.buffer).set(Buffer.from("/g/f"), 4096);
    if (g.open(4096, 4, 1, 256) !== 0) throw new Error("open");
    return { g, handle: new DataView(g.memory.buffer).getUint32(256, true) };
  };`;

describe("guest ABI version 2: a guest memory collected with mappings in it", function () {
  this.timeout(60_000);
  it("leaks no kernel area and does not crash; a probe memory's grows were in place", () => {
    const temp = tempDir("guestmap-gc");
    try {
      fs.writeFileSync(path.join(temp.dir, "f"), CONTENT);
      const result = runModuleScript(`${childGuests(temp.dir)}
        const before = native.areasInUse();
        const run = () => {
          const { g, handle } = start();
          for (let i = 0; i < 20; i++) if (g.map(handle, BigInt(i * 100), 5000n, i % 2 ? 3 : 1, 256) !== 0) throw new Error("map");
          return g.map_kind();
        };
        const kinds = [];
        for (let i = 0; i < 5; i++) kinds.push(run());
        const during = native.areasInUse();
        const guardsDuring = native.guestGuards();
        for (let i = 0; i < 6; i++) { globalThis.gc(); await new Promise((resolve) => setImmediate(resolve)); }
        console.log(JSON.stringify({ before, during, after: native.areasInUse(), kinds, guardsDuring, guardsAfter: native.guestGuards() }));`);
      assert.equal(result.signal, null, result.stderr);
      assert.equal(result.status, 0, result.stderr);
      const report = JSON.parse(result.stdout) as { before: number; during: number; after: number; kinds: number[]; guardsDuring: number; guardsAfter: number };
      if (report.kinds[0] === 1) assert.ok(report.during >= report.before + 5 * 20 * 2, JSON.stringify(report));
      // An engine that collects a memory early and gives its range to the next one leaves fewer.
      if (report.kinds[0] === 1) assert.ok(report.guardsDuring > 0 && report.guardsDuring <= 5 * 20, JSON.stringify(report));
      assert.ok(report.after <= report.before + 5, `areas left after collection: ${JSON.stringify(report)}`);
      assert.equal(report.guardsAfter, 0, `the fault guard still looks at collected memories: ${JSON.stringify(report)}`);
    } finally {
      temp.remove();
    }
  });
});

describeOnLinux("guest ABI version 2: the range of a collected memory, taken by a new one before the finalizer runs", "a page lost to truncation (SIGBUS)", function () {
  this.timeout(60_000);
  it("a page lost there is the new guest's: its later calls are io", () => {
    const temp = tempDir("guestmap-reuse");
    try {
      fs.writeFileSync(path.join(temp.dir, "f"), Buffer.alloc(64 * 1024, 7));
      // Engines free a collected memory's range at the collection, and the next memory
      // takes it at once (V8 and JavaScriptCore do); the finalizer that forgets the old
      // guest regions runs only at a later turn of the event loop.
      // Whether the next memory lands in a freed range is the engine's choice (most tries
      // it does): the child tries until one does, up to 20 times.
      const result = runModuleScript(`${childGuests(temp.dir)}
        let g, handle, reused = false;
        for (let attempt = 0; attempt < 20 && !reused; attempt++) {
          const bases = [];
          (() => {
            for (let i = 0; i < 5; i++) {
              const guest = start();
              bases.push(native.guestBase(guest.g.memory));
              for (let j = 0; j < 20; j++) if (guest.g.map(guest.handle, 0n, 4096n, 3, 256) !== 0) throw new Error("map");
            }
          })();
          globalThis.gc();
          ({ g, handle } = start());
          reused = bases.includes(native.guestBase(g.memory));
        }
        if (g.map(handle, 0n, 65536n, 3, 256) !== 0) throw new Error("map");
        const addr = new DataView(g.memory.buffer).getUint32(256, true);
        truncateSync(${JSON.stringify(path.join(temp.dir, "f"))}, 4096);
        console.log(JSON.stringify({ kind: g.map_kind(), reused, lost: g.load_u8(addr + 40000), read: g.read(handle, 0n, 8192, 2) }));`);
      assert.equal(result.signal, null, result.stderr);
      assert.equal(result.status, 0, result.stderr);
      const report = JSON.parse(result.stdout) as { kind: number; reused: boolean; lost: number; read: number };
      assert.ok(report.reused, `the new memory took a collected one's range: ${result.stdout}`);
      // In place the lost page reads zeros; a copy keeps the bytes it was given.
      assert.equal(report.lost, report.kind === 1 ? 0 : 7, `the byte at the lost page: ${result.stdout}`);
      assert.equal(report.read, E.io, `the loss is reported to the guest whose file it was: ${result.stdout}`);
    } finally {
      temp.remove();
    }
  });
});

describe("guest ABI version 2: open_fd, through a file table given to createMmapImports", () => {
  let temp: ReturnType<typeof tempDir>;
  let guest: Probe | undefined;
  /** The table: guest descriptor -> guest path. */
  const held = new Map<number, string>();
  const fileTable = { pathOf: (fd: number) => (held.has(fd) ? Buffer.from(held.get(fd)!) : undefined) };
  const start = (options: Parameters<typeof startProbe>[0]) => (guest = startProbe(options));

  beforeEach(() => {
    temp = tempDir("openfd");
    fs.mkdirSync(path.join(temp.dir, "ro"));
    fs.writeFileSync(path.join(temp.dir, "f"), CONTENT);
    fs.writeFileSync(path.join(temp.dir, "ro", "r"), CONTENT);
    held.clear();
    held.set(5, "/g/f").set(6, "/r/r").set(7, "/elsewhere/f").set(8, "/g/missing").set(9, "/g/../r/./r");
  });
  afterEach(() => {
    guest?.mmap.close();
    guest = undefined;
    temp.remove();
  });
  const grants = () => [{ guest: "/g", host: temp.dir, access: "rw" as const }, { guest: "/r", host: path.join(temp.dir, "ro") }];

  it("gives a handle as open of the descriptor's path does: read, write, map", () => {
    const g = start({ grants: grants(), fileTable });
    const [errno, handle] = g.openFd(5, 1);
    assert.equal(errno, E.success);
    assert.deepEqual(g.readText(handle, 10n, 4), [E.success, text(CONTENT.subarray(10, 14))]);
    assert.equal(g.writeText(handle, 0n, "OPEN"), E.success);
    assert.equal(g.g.flush(handle, 0n, 0n), E.success);
    assert.equal(fs.readFileSync(path.join(temp.dir, "f")).subarray(0, 4).toString(), "OPEN");
    const [mapped, addr] = g.map(handle, 0n, 4n, PROT_READ);
    assert.equal(mapped, E.success);
    assert.equal(g.loadText(addr, 4), "OPEN");
    const [lenErrno, length] = g.length(handle);
    assert.deepEqual([lenErrno, length], [E.success, BigInt(CONTENT.length)]);
    // The path is normalized and matched against the grants as open's is.
    assert.equal(g.openFd(9, 0)[0], E.success);
  });

  it("the same grants and errnos as open of that path: notcapable, noent, rw of a read-only grant", () => {
    const g = start({ grants: grants(), fileTable });
    for (const [fd, mode] of [[5, 0], [6, 0], [6, 1], [6, 2], [7, 0], [8, 0], [9, 1]] as const) {
      assert.equal(g.openFd(fd, mode)[0], g.open(held.get(fd)!, mode)[0], `fd ${fd} (${held.get(fd)}) mode ${mode}`);
    }
    assert.equal(g.openFd(6, 1)[0], E.notcapable);
    assert.equal(g.openFd(7, 0)[0], E.notcapable);
    assert.equal(g.openFd(8, 0)[0], E.noent);
  });

  it("errnos in open's order: inval (mode), fault, mfile, then notsup or badf", () => {
    const g = start({ grants: grants(), fileTable, limits: { maxHandles: 1 } });
    assert.equal(g.g.open_fd(99, 3, 0xfffffff0), E.inval);
    assert.equal(g.g.open_fd(99, 0, 0xfffffff0), E.fault);
    assert.equal(g.openFd(99, 0)[0], E.badf);
    assert.equal(g.openFd(-1 >>> 0, 0)[0], E.badf);
    const [errno, handle] = g.openFd(5, 0);
    assert.equal(errno, E.success);
    assert.equal(g.openFd(99, 0)[0], E.mfile);
    assert.equal(g.g.close(handle), E.success);
    assert.equal(g.openFd(5, 0)[0], E.success);
  });

  it("without a file table: notsup, after the same checks", () => {
    const g = start({ grants: grants() });
    assert.equal(g.openFd(5, 0)[0], E.notsup);
    assert.equal(g.openFd(0, 0)[0], E.notsup);
    assert.equal(g.g.open_fd(5, 3, OUT), E.inval);
    assert.equal(g.g.open_fd(5, 0, 0xfffffff0), E.fault);
  });

  it("a path longer than open takes: inval; no argument traps", () => {
    held.set(10, "/g/" + "x".repeat(5000));
    const g = start({ grants: grants(), fileTable });
    assert.equal(g.openFd(10, 0)[0], E.inval);
    for (const fd of [0, 1, 5, 0x7fffffff, 0xffffffff]) {
      for (const mode of [-1, 0, 1, 2, 3, 0x7fffffff]) {
        for (const out of [0, OUT, 0xfffffffc, 0xffffffff]) {
          const errno = g.g.open_fd(fd, mode, out);
          assert.ok(Number.isInteger(errno));
          if (errno === E.success) assert.equal(g.g.close(new DataView(g.g.memory.buffer).getUint32(out, true)), E.success);
        }
      }
    }
  });
});

/**
 * The guest core (build/guest.wasm) alone, with a host that only records: every open is
 * of a 64 KiB file at /g/f, every map succeeds, and the memory grows while `growable`.
 */
function recordingCore(mapKind: number) {
  const core = {} as GuestCore;
  const recorded = { stored: [] as number[], synced: [] as number[], growable: true };
  let memorySize = 1 << 20;
  const host: WebAssembly.ModuleImports = {
    memory_size: () => memorySize,
    copy_from_guest: (_guestPtr: number, len: number, corePtr: number) => {
      new Uint8Array(core.memory.buffer, corePtr, len).set(Buffer.from("/g/f"));
    },
    store_u32: (_guestPtr: number, value: number) => { recorded.stored.push(value); },
    store_u64: () => {},
    open_file: () => 16 << 20,
    fd_path: () => -1,
    map_file: () => 0,
    close_file: () => 0,
    copy_out: () => 0,
    copy_in: () => 0,
    advise: () => 0,
    flush: () => 0,
    resize: () => 0,
    resident: () => 0,
    grow_memory: (bytes: number) => {
      if (!recorded.growable) return -1;
      memorySize += bytes;
      return memorySize - bytes;
    },
    map_guest: () => 0,
    unmap_guest: () => 0,
    sync_guest: (entry: number) => { recorded.synced.push(entry); return 0; },
    advise_guest: () => 0,
  };
  const staging = instantiateGuestCore(core, host, { maxHandles: 16, maxMappedBytes: 2 ** 40 });
  new Uint8Array(core.memory.buffer, staging, 2).set(Buffer.from("/g"));
  assert.ok(core.add_grant(2, coreConstant(core, "GRANT_RW")) >= 0);
  const g = core as unknown as Record<string, (...args: Array<number | bigint>) => number>;
  g.set_map_kind!(mapKind, 0); // in place: guest memory's byte 0 at a 2 MiB boundary
  const open = () => {
    assert.equal(g.open!(0, 4, 1, 0), E.success);
    return recorded.stored.pop()!;
  };
  const map = (handle: number, offset: number, len: number) => {
    assert.equal(g.map!(handle, BigInt(offset), BigInt(len), PROT_RW, 0), E.success, `map ${offset}+${len}`);
    return recorded.stored.pop()!;
  };
  return { g, recorded, open, map };
}

describe("guest ABI version 2: the guest core alone, with a host that records its calls", () => {
  it("a handle number that comes round again is another handle: its flush leaves the old one's mappings alone", () => {
    const { g, recorded, open, map } = recordingCore(0);
    const first = open();
    map(first, 0, 4096);
    assert.equal(g.close!(first), E.success);
    let again = -1;
    for (let opens = 0; opens < 4 * 2 ** 21 && again !== first; opens++) {
      again = open();
      if (again !== first) assert.equal(g.close!(again), E.success);
    }
    assert.equal(again, first, "the handle number came round again");
    assert.equal(g.flush!(again, 0n, 4096n), E.success);
    assert.deepEqual(recorded.synced, [], "the older handle's writable mapping was not written back");
    map(again, 0, 4096);
    assert.equal(g.flush!(again, 0n, 4096n), E.success);
    assert.deepEqual(recorded.synced, [1], "the new handle's own mapping is");
  });

  it("in place, a large span goes where huge pages fit; where no range has room for that, wherever it fits", () => {
    const MiB = 1 << 20;
    const { g, recorded, open, map } = recordingCore(1);
    const handle = open();
    // The memory ends at 1 MiB: A goes to 2 MiB, leaving [1, 2) and [6, 7) MiB free,
    // which two small mappings then fill.
    const a = map(handle, 0, 4 * MiB);
    assert.equal(a % (2 * MiB), 0, "host address and file offset agree modulo 2 MiB");
    assert.deepEqual([map(handle, 0, MiB), map(handle, 0, MiB)].sort(), [MiB, 6 * MiB]);
    assert.equal(g.unmap!(a, BigInt(4 * MiB)), E.success);
    // [2, 6) MiB is free, and the memory cannot grow: a 4 MiB span whose offset is 1 MiB
    // into a 2 MiB block has no aligned place, and still gets that range.
    recorded.growable = false;
    assert.equal(map(handle, MiB, 4 * MiB), 2 * MiB);
    assert.equal(g.map!(handle, 0n, 4096n, PROT_RW, 0), E.nomem, "and then nothing is left");
  });
});
