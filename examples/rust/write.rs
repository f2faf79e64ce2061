//! write PATH: creates PATH (4096 bytes), writes to it, grows it to 8192 bytes, writes
//! near the new end, makes it durable and prints the length read back. The C and
//! AssemblyScript versions print the same bytes and leave the same file.

#[path = "../../sdk/rust/mmap_wasi.rs"]
mod mmap_wasi;
#[path = "shared/report.rs"]
mod report;

use mmap_wasi::Mapping;
use report::Failure;

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

fn main() {
    let length = report::run("write", "create", write);
    println!("wrote {} bytes", length);
}
