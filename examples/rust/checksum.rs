//! checksum PATH: maps PATH read-only, prefetches it, and prints the FNV-1a 64-bit
//! hash of its bytes and its length. The C and AssemblyScript versions print the same
//! bytes.

#[path = "../../sdk/rust/mmap_wasi.rs"]
mod mmap_wasi;

use mmap_wasi::{Advice, Errno, Mapping, Mode};
use std::process;

const CHUNK_SIZE: u64 = 1024 * 1024;

/// The failed ABI function's name and its errno.
type Failure = (&'static str, Errno);

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

// process::exit, not ExitCode: on wasm32-wasi, Rust 1.63's ExitCode turns every
// failure into 1, and usage errors exit with 2.
fn main() {
    let args: Vec<_> = std::env::args_os().collect();
    if args.len() != 2 {
        eprintln!("usage: checksum PATH");
        process::exit(2);
    }
    // The ABI takes UTF-8 paths; report any other path as the host would.
    let result = match args[1].to_str() {
        Some(path) => checksum(path),
        None => Err(("open", Errno::ILSEQ)),
    };
    match result {
        Ok((hash, length)) => {
            println!("checksum {:016x} bytes {}", hash, length);
        }
        Err((function, errno)) => {
            eprintln!("error: {} failed: errno {} ({})", function, errno.0, errno.name());
            process::exit(1);
        }
    }
}
