//! write PATH: creates PATH (4096 bytes), writes to it, grows it to 8192 bytes, writes
//! near the new end, makes it durable and prints the length read back. The C and
//! AssemblyScript versions print the same bytes and leave the same file.

#[path = "../../sdk/rust/mmap_wasi.rs"]
mod mmap_wasi;

use mmap_wasi::{Errno, Mapping};
use std::process;

/// The failed ABI function's name and its errno.
type Failure = (&'static str, Errno);

fn write(path: &str) -> Result<u64, Failure> {
    let mut file = Mapping::create(path, 4096).map_err(|e| ("create", e))?;
    file.write(0, b"hello, mapped world\n").map_err(|e| ("write", e))?;
    file.resize(8192).map_err(|e| ("resize", e))?;
    file.write(8000, b"tail\n").map_err(|e| ("write", e))?;
    file.flush(0, 8192).map_err(|e| ("flush", e))?;
    let length = file.len().map_err(|e| ("len", e))?;
    // On an earlier `?`, dropping `file` closes it; here the errno of closing counts.
    file.close().map_err(|e| ("close", e))?;
    Ok(length)
}

// process::exit, not ExitCode: on wasm32-wasi, Rust 1.63's ExitCode turns every
// failure into 1, and usage errors exit with 2.
fn main() {
    let args: Vec<_> = std::env::args_os().collect();
    if args.len() != 2 {
        eprintln!("usage: write PATH");
        process::exit(2);
    }
    // The ABI takes UTF-8 paths; report any other path as the host would.
    let result = match args[1].to_str() {
        Some(path) => write(path),
        None => Err(("create", Errno::ILSEQ)),
    };
    match result {
        Ok(length) => {
            println!("wrote {} bytes", length);
        }
        Err((function, errno)) => {
            eprintln!("error: {} failed: errno {} ({})", function, errno.0, errno.name());
            process::exit(1);
        }
    }
}
