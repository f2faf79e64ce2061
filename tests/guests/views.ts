// A WASI command that uses the AssemblyScript SDK's guest mappings (GuestMapping) and
// prints one line per step. Under /data (fd 3, read-only grant) it needs nums.bin, 16
// bytes: u32 1 and 2, f32 1.5 and -10, little-endian; under /out (rw grant) ro.bin and
// rw.bin, 16 bytes or more each.
//   kind      mapKind()
//   u32       view<Uint32Array>(0, 2) of nums.bin: length, values
//   f32       view<Float32Array>(8): length, 2 * the first value, the second
//   unaligned view<Uint32Array>(1, 1): the u32 at byte 1
//   f64       view<Float64Array>(4): length (12 bytes hold one whole element)
//   range     errnos of views past the end: (12, 2 elements) and (17)
//   gc        a full collection amid garbage, then u32[1] and the sum of bytes()
//   outlives  close() of the handle, then the first byte through bytes()
//   advise    advise(WillNeed) of the whole mapping, adviseRange past its end
//   unmapped  unmap(), then the lengths of the three views made before
//   after     unmap(), sync() and view() again: refused without reaching the host
//   ro        a read-only mapping of ro.bin through an rw handle, after a memory.grow:
//             the guest's store of "R" at 0 as it sees it, sync(), unmap()
//   rw        a writable mapping of rw.bin [3, 13): writable, then "VIEW" stored through
//             bytes() and "ED" through a Uint16Array, sync(), close(), unmap()
//   refused   map(ReadWrite) on an ro handle, map() on a closed one
//   fromFd    fromFd of the preopen (a directory), of a descriptor never held
// A value that should not be null but is prints "null STEP ERRNO" and exits 1.

import { print } from "./_print";
import { Advice, GuestMapping, MappedFile, Mode, Prot, lastErrno, mapKind } from "../../sdk/assemblyscript";

@external("wasi_snapshot_preview1", "proc_exit") declare function procExit(code: u32): void;

function must<T>(value: T, step: string): NonNullable<T> {
  if (value == null) {
    print(`null ${step} ${lastErrno()}\n`);
    procExit(1);
  }
  return changetype<NonNullable<T>>(value);
}

function errnoOfNull<T>(value: T): i32 {
  return value == null ? lastErrno() : 0;
}

export function _start(): void {
  print(`kind ${mapKind()}\n`);

  let file = must(MappedFile.open("/data/nums.bin", Mode.Ro), "open");
  const nums = must(file.map(0, 16), "map");
  const u32 = must(nums.view<Uint32Array>(0, 2), "u32");
  print(`u32 ${u32.length} ${u32[0]} ${u32[1]}\n`);
  const f32 = must(nums.view<Float32Array>(8), "f32");
  print(`f32 ${f32.length} ${<i32>(f32[0] * 2)} ${<i32>f32[1]}\n`);
  print(`unaligned ${must(nums.view<Uint32Array>(1, 1), "unaligned")[0]}\n`);
  print(`f64 ${must(nums.view<Float64Array>(4), "f64").length}\n`);
  print(`range ${errnoOfNull(nums.view<Uint32Array>(12, 2))} ${errnoOfNull(nums.view<Uint8Array>(17))}\n`);
  const bytes = must(nums.bytes(), "bytes");
  // The collector follows each view's `buffer`: it must find a managed object there.
  for (let i = 0; i < 1000; i++) String.UTF8.encode(i.toString());
  __collect();
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) sum += bytes[i];
  print(`gc ${u32[1]} ${sum}\n`);
  print(`outlives ${file.close()} ${bytes[0]}\n`);
  print(`advise ${nums.advise(Advice.WillNeed)} ${nums.adviseRange(8, 9, Advice.Normal)}\n`);
  print(`unmapped ${nums.unmap()} ${bytes.length} ${u32.length} ${f32.length}\n`);
  print(`after ${nums.unmap()} ${nums.sync()} ${errnoOfNull(nums.view<Uint8Array>())}\n`);

  file = must(MappedFile.open("/out/ro.bin", Mode.Rw), "open ro");
  const ro: GuestMapping = must(file.map(0, 8, Prot.Read), "map ro");
  memory.grow(1); // V8 makes the whole memory writable again here
  const roBytes = must(ro.bytes(), "ro bytes");
  roBytes[0] = 0x52;
  print(`ro ${roBytes[0]} ${ro.sync()} ${ro.unmap()}\n`);
  file.close();

  file = must(MappedFile.open("/out/rw.bin", Mode.Rw), "open rw");
  const rw = must(file.map(3, 10, Prot.ReadWrite), "map rw");
  const rwBytes = must(rw.bytes(), "rw bytes");
  rwBytes[0] = 0x56; rwBytes[1] = 0x49; rwBytes[2] = 0x45; rwBytes[3] = 0x57;
  must(rw.view<Uint16Array>(4, 1), "u16")[0] = 0x4445;
  print(`rw ${rw.writable} ${rw.sync()} ${file.close()} ${rw.unmap()}\n`);

  file = must(MappedFile.open("/data/nums.bin", Mode.Ro), "open again");
  const refused = errnoOfNull(file.map(0, 1, Prot.ReadWrite));
  file.close();
  print(`refused ${refused} ${errnoOfNull(file.map(0, 1))}\n`);
  print(`fromFd ${errnoOfNull(MappedFile.fromFd(3, Mode.Ro))} ${errnoOfNull(MappedFile.fromFd(99, Mode.Ro))}\n`);
}
