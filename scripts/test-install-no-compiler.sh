#!/usr/bin/env bash
# Installs the packed package where no compiler exists and runs the quick start there:
# npm pack (the prebuilds go into the tarball), then npm install of the tarball into a
# new project with a PATH that holds only node, npm and sh (no cc, c++, g++, make or
# python3; CC and CXX are `false`), then examples/quickstart.mjs importing "mmap-wasi".
# The install must use the prebuilt addon and build nothing. Used by .ci/run.
# Needs `npm run prebuilds` for this platform first (prepack builds what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

work="$(mktemp -d "${TMPDIR:-/tmp}/mmap-wasi-nocc-XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "no-compiler: npm pack"
tarball="$(npm pack --pack-destination "$work" --silent | tail -n 1)"
tarball="$work/$tarball"
listing="$(tar -tzf "$tarball")"  # not piped into grep -q: pipefail would see tar's SIGPIPE
grep -qx 'package/native/prebuilds/linux-x64/mmap-wasi.napi.glibc.node' <<<"$listing" ||
  { echo "no-compiler: the tarball has no linux-x64 prebuild" >&2; exit 1; }

# A PATH of three commands.
mkdir -p "$work/bin" "$work/app"
ln -s "$(command -v node)" "$work/bin/node"
ln -s "$(readlink -f "$(command -v npm)")" "$work/bin/npm"
ln -s "$(readlink -f "$(command -v sh)")" "$work/bin/sh"
for tool in cc c++ gcc g++ make python3 python; do
  if PATH="$work/bin" command -v "$tool" >/dev/null 2>&1; then
    echo "no-compiler: $tool is still reachable" >&2
    exit 1
  fi
done

sed 's#"\.\./build/lib/index\.js"#"mmap-wasi"#' examples/quickstart.mjs >"$work/app/quickstart.mjs"
grep -q 'from "mmap-wasi"' "$work/app/quickstart.mjs" || { echo "no-compiler: quickstart import not rewritten" >&2; exit 1; }
echo '{ "name": "nocc-app", "private": true }' >"$work/app/package.json"

# Only HOME (npm's cache and config) and TMPDIR come from outside.
nocc() { (cd "$work/app" && env -i HOME="$HOME" TMPDIR="${TMPDIR:-/tmp}" PATH="$work/bin" CC=false CXX=false "$@"); }
echo "no-compiler: node $(nocc node --version), npm $(nocc npm --version), PATH=$work/bin"
nocc npm install --no-audit --no-fund --prefer-offline --foreground-scripts "$tarball" 2>&1 | tee "$work/install.log"
grep -q 'mmap-wasi: using native/prebuilds/' "$work/install.log" ||
  { echo "no-compiler: the install script did not report the prebuild" >&2; exit 1; }
if [[ -e "$work/app/node_modules/mmap-wasi/native/build" ]]; then
  echo "no-compiler: something was built in node_modules/mmap-wasi/native/build" >&2
  exit 1
fi

nocc node quickstart.mjs 2>&1 | tee "$work/run.log"
grep -q '^read back: "hello, mapped world"$' "$work/run.log" ||
  { echo "no-compiler: the quick start did not read its data back" >&2; exit 1; }
echo "no-compiler: ok (installed from $(basename "$tarball") without a compiler; quick start ran)"
