//! checksum PATH: maps PATH read-only, prefetches it, and prints the FNV-1a 64-bit
//! hash of its bytes and its length. The C and AssemblyScript versions print the same
//! bytes.

#[path = "../../sdk/rust/mmap_wasi.rs"]
mod mmap_wasi;
#[path = "shared/report.rs"]
mod report;

use mmap_wasi::{Advice, Mapping, Mode};
use report::Failure;

const CHUNK_SIZE: u64 = 1024 * 1024;

fn checksum(path: &str) -> Result<(u64, u64), Failure> {
    let file = Mapping::open(path, Mode::Ro).map_err(|e| ("open", e))?;
    let length = file.len().map_err(|e| ("len", e))?;
    file.advise(0, length, Advice::WillNeed).map_err(|e| ("advise", e))?;
    file.advise(0, length, Advice::Sequential).map_err(|e| ("advise", e))?;

    let mut chunk = vec![0u8; CHUNK_SIZE as usize];
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325; // FNV-1a 64 offset basis
    let mut offset = 0;
    while offset < length {
        let n = (length - offset).min(CHUNK_SIZE) as usize;
        let bytes = &mut chunk[..n];
        file.read(offset, bytes).map_err(|e| ("read", e))?;
        for &byte in bytes.iter() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3); // FNV-1a 64 prime
        }
        offset += n as u64;
    }
    // On an earlier `?`, dropping `file` closes it; here the errno of closing counts.
    file.close().map_err(|e| ("close", e))?;
    Ok((hash, length))
}

fn main() {
    let (hash, length) = report::run("checksum", "open", checksum);
    println!("checksum {:016x} bytes {}", hash, length);
}
