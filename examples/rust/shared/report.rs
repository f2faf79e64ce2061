//! Shared by the Rust examples (a module, not a guest: examples/build-native-guests.sh
//! builds only the files directly in examples/rust/): their one argument, and their
//! failures, reported as the C and AssemblyScript versions report them.

use crate::mmap_wasi::Errno;
use std::process;

/// The failed function's name and its errno.
pub type Failure = (&'static str, Errno);

/// Runs `body` on the guest's one argument, PATH, and returns its result. Without exactly
/// one argument, prints the usage and exits 2; on a failure, prints
/// `error: FUNCTION failed: errno N (NAME)` and exits 1. A PATH that is not UTF-8 fails
/// as `first`, the function that takes it, would fail: `ILSEQ`.
// process::exit, not ExitCode: on wasm32-wasi, Rust 1.63's ExitCode turns every failure
// into 1, and usage errors exit with 2.
pub fn run<T>(program: &str, first: &'static str, body: impl FnOnce(&str) -> Result<T, Failure>) -> T {
    let args: Vec<_> = std::env::args_os().collect();
    if args.len() != 2 {
        eprintln!("usage: {} PATH", program);
        process::exit(2);
    }
    let result = match args[1].to_str() {
        Some(path) => body(path),
        None => Err((first, Errno::ILSEQ)),
    };
    result.unwrap_or_else(|(function, errno)| {
        eprintln!("error: {} failed: errno {} ({})", function, errno.0, errno.name());
        process::exit(1)
    })
}
