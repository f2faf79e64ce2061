#!/usr/bin/env bash
# Builds the C and Rust example guests for wasm32-wasi:
#   examples/c/*.c     -> build/examples/c/<name>.wasm     (clang, wasi-libc)
#   examples/rust/*.rs -> build/examples/rust/<name>.wasm  (rustc alone, no cargo)
#   tests/guests/*.c   -> build/guests/c/<name>.wasm      (the tests' C guests)
#   examples/sqlite/sqlite-query.c with SQLite ->
#     build/examples/sqlite/sqlite-query.wasm           (mmap from sdk/c/mmap_wasi_mman.c)
#     build/examples/sqlite/sqlite-query-emulated.wasm  (wasi-libc's emulated mmap)
# The guests include the SDK from sdk/c/mmap_wasi.h and sdk/rust/mmap_wasi.rs; the Rust
# ones also share examples/rust/shared/, which is not built on its own. Every C
# guest is linked with the POSIX mmap library (sdk/c/include/sys/mman.h and
# sdk/c/mmap_wasi_mman.c); the linker keeps it only where a guest calls it. SQLite is the
# amalgamation in the better-sqlite3 devDependency (npm ci first); its object, about 40 s
# to compile, is kept in build/examples/sqlite/ and remade when its inputs change.
#
# Both toolchains are probed before anything is built; if either is missing this
# prints what to install and exits 1, or with --if-available (npm test's pretest) exits 0
# after saying the tests that need these guests will be skipped; under CI it still exits
# 1. CLANG and RUSTC override the compilers.
#
# Debian's clang finds wasi-libc by itself (/usr/include/wasm32-wasi and
# /usr/lib/wasm32-wasi), so no --sysroot is needed; a clang that does not (such as
# upstream LLVM with wasi-sdk's sysroot) takes WASI_SYSROOT=<dir>. Debian's rustc is
# called by its full path because a rustup toolchain earlier on PATH may have no
# wasm32-wasi target.
set -euo pipefail
cd "$(dirname "$0")/.."
if_available=0
if [ "${1:-}" = "--if-available" ]; then if_available=1; fi

CLANG=${CLANG:-clang}
RUSTC=${RUSTC:-/usr/bin/rustc}
# --strip-debug / strip=debuginfo: Debian's wasi-libc and Rust std carry DWARF that
# would make each guest 5 to 50 times larger. The name section stays, for stack traces.
CFLAGS=(--target=wasm32-wasi -O2 -Wall -Wextra -Wl,--strip-debug)
RUSTFLAGS=(--target wasm32-wasi -O --edition 2021 -C strip=debuginfo)
if [ -n "${WASI_SYSROOT:-}" ]; then CFLAGS+=("--sysroot=$WASI_SYSROOT"); fi

probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
missing=0

# C: compile and link a program that uses libc, which needs clang, wasm-ld (lld),
# wasi-libc and the wasm32 compiler-rt builtins.
printf '#include <stdio.h>\nint main(void) { puts("probe"); return 0; }\n' >"$probe_dir/probe.c"
if ! command -v "$CLANG" >/dev/null 2>&1; then
  echo "build-native-guests: no C compiler '$CLANG' for wasm32-wasi." >&2
  echo "  Debian/Ubuntu: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32" >&2
  missing=1
elif ! "$CLANG" "${CFLAGS[@]}" -o "$probe_dir/probe-c.wasm" "$probe_dir/probe.c" >"$probe_dir/c.log" 2>&1; then
  major=$("$CLANG" -dumpversion 2>/dev/null | cut -d. -f1)
  echo "build-native-guests: '$CLANG' cannot build a wasm32-wasi program:" >&2
  sed 's/^/  | /' "$probe_dir/c.log" >&2
  echo "  Debian/Ubuntu: apt-get install clang lld wasi-libc libclang-rt-${major:-14}-dev-wasm32" >&2
  echo "  (wasm-ld comes from lld, the headers and libc from wasi-libc, the builtins from libclang-rt-N-dev-wasm32 for clang N)" >&2
  missing=1
fi

# Rust: compile a program that uses std, which needs the wasm32-wasi standard library.
printf 'fn main() { println!("probe"); }\n' >"$probe_dir/probe.rs"
if ! command -v "$RUSTC" >/dev/null 2>&1; then
  echo "build-native-guests: no Rust compiler '$RUSTC'." >&2
  echo "  Debian/Ubuntu: apt-get install rustc libstd-rust-dev-wasm32" >&2
  missing=1
elif ! "$RUSTC" "${RUSTFLAGS[@]}" -o "$probe_dir/probe-rs.wasm" "$probe_dir/probe.rs" >"$probe_dir/rs.log" 2>&1; then
  echo "build-native-guests: '$RUSTC' cannot build a wasm32-wasi program:" >&2
  sed 's/^/  | /' "$probe_dir/rs.log" >&2
  echo "  Debian/Ubuntu: apt-get install rustc libstd-rust-dev-wasm32 (then RUSTC=/usr/bin/rustc)" >&2
  echo "  rustup: rustup target add wasm32-wasi, then RUSTC=\"\$(rustup which rustc)\" (Rust 1.83 or older)" >&2
  missing=1
fi

# SQLite: the amalgamation comes with the better-sqlite3 devDependency.
SQLITE_DIR=node_modules/better-sqlite3/deps/sqlite3
if [ ! -f "$SQLITE_DIR/sqlite3.c" ]; then
  echo "build-native-guests: no $SQLITE_DIR/sqlite3.c: run npm ci (better-sqlite3 is a devDependency)." >&2
  missing=1
fi

if [ "$missing" -ne 0 ]; then
  echo "build-native-guests: toolchain or SQLite source missing, nothing built." >&2
  if [ "$if_available" -eq 1 ] && [ -z "${CI:-}" ]; then
    echo "build-native-guests: the tests that need the C, Rust and SQLite guests will say so and be skipped." >&2
    exit 0
  fi
  exit 1
fi

mkdir -p build/examples/c build/examples/rust build/guests/c
for source in examples/c/*.c tests/guests/*.c; do
  case "$source" in
    examples/*) out="build/examples/c/$(basename "$source" .c).wasm" ;;
    *) out="build/guests/c/$(basename "$source" .c).wasm" ;;
  esac
  "$CLANG" "${CFLAGS[@]}" -Isdk/c/include -o "$out" "$source" sdk/c/mmap_wasi_mman.c
  echo "build-native-guests: $source -> $out"
done
for source in examples/rust/*.rs; do
  out="build/examples/rust/$(basename "$source" .rs).wasm"
  "$RUSTC" "${RUSTFLAGS[@]}" -o "$out" "$source"
  echo "build-native-guests: $source -> $out"
done

# SQLite for WASI: no WAL (it needs shared-memory mmap and locks WASI lacks), one thread,
# and the page cache and options better-sqlite3 builds its native SQLite with, so that
# bench/cases/sqlite-*.mjs compares like with like. The prelude gives sqlite3.c the mmap
# constants and getpagesize() that it leaves out under WASI; the constants are the same
# in sdk/c/include/sys/mman.h and wasi-libc's, so one object serves both guests.
SQLITE_OUT=build/examples/sqlite
SQLITE_FLAGS=(--target=wasm32-wasi -O2 -Isdk/c/include -include examples/sqlite/wasi-prelude.h
  -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_WAL -DSQLITE_OMIT_LOAD_EXTENSION
  -DSQLITE_MAX_MMAP_SIZE=0x7fff0000 -DSQLITE_DEFAULT_CACHE_SIZE=-16000
  -DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_DQS=0 -DSQLITE_LIKE_DOESNT_MATCH_BLOBS
  -DSQLITE_OMIT_DEPRECATED -DSQLITE_OMIT_PROGRESS_CALLBACK -DSQLITE_OMIT_SHARED_CACHE
  -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS)
if [ -n "${WASI_SYSROOT:-}" ]; then SQLITE_FLAGS+=("--sysroot=$WASI_SYSROOT"); fi
WASI_LIBS=(-lwasi-emulated-signal -lwasi-emulated-process-clocks)
mkdir -p "$SQLITE_OUT"
stamp="$SQLITE_OUT/sqlite3.flags"
if [ ! -f "$SQLITE_OUT/sqlite3.o" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${SQLITE_FLAGS[*]}" ] ||
  [ "$SQLITE_DIR/sqlite3.c" -nt "$SQLITE_OUT/sqlite3.o" ] ||
  [ examples/sqlite/wasi-prelude.h -nt "$SQLITE_OUT/sqlite3.o" ]; then
  echo "build-native-guests: compiling $SQLITE_DIR/sqlite3.c (about 40 s)"
  "$CLANG" "${SQLITE_FLAGS[@]}" -c -o "$SQLITE_OUT/sqlite3.o" "$SQLITE_DIR/sqlite3.c"
  echo "${SQLITE_FLAGS[*]}" >"$stamp"
fi
"$CLANG" "${CFLAGS[@]}" -Isdk/c/include -I"$SQLITE_DIR" -DSQLITE_MAX_MMAP_SIZE=0x7fff0000 \
  -o "$SQLITE_OUT/sqlite-query.wasm" examples/sqlite/sqlite-query.c sdk/c/mmap_wasi_mman.c \
  "$SQLITE_OUT/sqlite3.o" "${WASI_LIBS[@]}"
echo "build-native-guests: examples/sqlite/sqlite-query.c -> $SQLITE_OUT/sqlite-query.wasm"
"$CLANG" "${CFLAGS[@]}" -D_WASI_EMULATED_MMAN -I"$SQLITE_DIR" -DSQLITE_MAX_MMAP_SIZE=0x7fff0000 \
  -o "$SQLITE_OUT/sqlite-query-emulated.wasm" examples/sqlite/sqlite-query.c \
  "$SQLITE_OUT/sqlite3.o" -lwasi-emulated-mman "${WASI_LIBS[@]}"
echo "build-native-guests: examples/sqlite/sqlite-query.c -> $SQLITE_OUT/sqlite-query-emulated.wasm (emulated mmap)"
