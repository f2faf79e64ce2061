//! mapchecksum PATH: prints what checksum prints, but reads the file in place: it maps
//! each 1 MiB window of PATH into the guest's own memory (a guest mapping, ABI version 2)
//! and hashes it as a slice, with no copy into a buffer. The AssemblyScript version
//! prints the same bytes.

#[path = "../../sdk/rust/mmap_wasi.rs"]
mod mmap_wasi;
#[path = "shared/report.rs"]
mod report;

use mmap_wasi::{Advice, Mapping, Mode};
use report::Failure;

const WINDOW: u64 = 1024 * 1024;

fn checksum(path: &str) -> Result<(u64, u64), Failure> {
    let file = Mapping::open(path, Mode::Ro).map_err(|e| ("open", e))?;
    let length = file.len().map_err(|e| ("len", e))?;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325; // FNV-1a 64 offset basis
    let mut offset = 0;
    while offset < length {
        let n = (length - offset).min(WINDOW) as usize;
        // SAFETY: this guest changes the file in no way while the window is mapped, and
        // a checksum of a file that another process writes meanwhile means nothing anyway.
        let window = unsafe { file.map(offset, n) }.map_err(|e| ("map", e))?;
        window.advise(Advice::WillNeed).map_err(|e| ("madvise", e))?;
        for &byte in window.iter() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3); // FNV-1a 64 prime
        }
        // Dropping it would unmap it too, without the errno; the host reuses the range.
        window.unmap().map_err(|e| ("unmap", e))?;
        offset += n as u64;
    }
    file.close().map_err(|e| ("close", e))?;
    Ok((hash, length))
}

fn main() {
    let (hash, length) = report::run("mapchecksum", "open", checksum);
    println!("checksum {:016x} bytes {}", hash, length);
}
