//! mapupper PATH: turns the ASCII letters of the existing file PATH to upper case in
//! place. It opens PATH with std::fs (WASI's path_open), takes a handle for that
//! descriptor (open_fd), maps each 1 MiB window writable into the guest's own memory
//! (ABI version 2), changes it as a slice, syncs it, and prints how many bytes changed.
//! The AssemblyScript version prints the same bytes and leaves the same file.

#[path = "../../sdk/rust/mmap_wasi.rs"]
mod mmap_wasi;
#[path = "shared/report.rs"]
mod report;

use mmap_wasi::{Errno, Mapping, Mode};
use report::Failure;
use std::fs::OpenOptions;

const WINDOW: u64 = 1024 * 1024;

fn upper(path: &str) -> Result<u64, Failure> {
    // On WASI an io::Error's OS code is the WASI errno, numbered as the ABI numbers them.
    let descriptor = OpenOptions::new().read(true).write(true).open(path)
        .map_err(|e| ("path_open", Errno(e.raw_os_error().unwrap_or(Errno::IO.0))))?;
    let file = Mapping::from_fd(&descriptor, Mode::Rw).map_err(|e| ("open_fd", e))?;
    drop(descriptor); // the handle does not need it
    let length = file.len().map_err(|e| ("len", e))?;
    let mut changed = 0u64;
    let mut offset = 0;
    while offset < length {
        let n = (length - offset).min(WINDOW) as usize;
        // SAFETY: this guest has no other mapping of the file and writes it only through
        // this window; no other process is meant to write it meanwhile.
        let mut window = unsafe { file.map_mut(offset, n) }.map_err(|e| ("map", e))?;
        for byte in window.iter_mut().filter(|byte| byte.is_ascii_lowercase()) {
            byte.make_ascii_uppercase();
            changed += 1;
        }
        window.sync().map_err(|e| ("sync", e))?;
        window.unmap().map_err(|e| ("unmap", e))?;
        offset += n as u64;
    }
    file.close().map_err(|e| ("close", e))?;
    Ok(changed)
}

fn main() {
    let changed = report::run("mapupper", "path_open", upper);
    println!("changed {} bytes", changed);
}
