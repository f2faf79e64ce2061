// A WASI command that exits with code 7, to check that exit codes reach the caller.
@external("wasi_snapshot_preview1", "proc_exit") declare function procExit(code: u32): void;
@external("mmap_wasi", "page_size") declare function mmapPageSize(): i32;

export function _start(): void {
  procExit(mmapPageSize() > 0 ? 7 : 1);
}
