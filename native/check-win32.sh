#!/usr/bin/env bash
# Compile-checks the Windows sources from Linux with mingw-w64: win32.cc, the stub
# unsupported.cc and (once it exists) the common addon.cc. posix.cc is not for Windows.
# Nothing is linked; objects go to a temporary folder that is removed on exit.
# Needs the Debian package g++-mingw-w64-x86-64 and `npm install` (for node-addon-api).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."  # repo root: node-addon-api's include_dir is relative

# The POSIX-threads compiler: the default win32-threads one fails inside napi.h on std::mutex.
CXX="${MINGW_CXX:-x86_64-w64-mingw32-g++-posix}"
if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "check-win32: compiler '$CXX' not found; install g++-mingw-w64-x86-64" \
       "(apt-get install -y g++-mingw-w64-x86-64)" >&2
  exit 2
fi

# Node's headers: beside the node binary in a release install, in the system include
# folder on Debian.
node_include="$(node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")"
if [[ ! -f "$node_include/node_api.h" || ! -f "$node_include/uv.h" ]]; then
  node_include=/usr/include/node
fi
if [[ ! -f "$node_include/node_api.h" || ! -f "$node_include/uv.h" ]]; then
  echo "check-win32: Node headers (node_api.h, uv.h) not found" >&2
  exit 2
fi

if ! addon_api_include="$(node -p "require('path').resolve(require('node-addon-api').include_dir)")"; then
  echo "check-win32: node-addon-api not found; run npm install" >&2
  exit 2
fi
if [[ ! -f "$addon_api_include/napi.h" ]]; then
  echo "check-win32: napi.h not found in $addon_api_include" >&2
  exit 2
fi

# What node-gyp defines for an addon on Windows, plus the package's own settings.
flags=(
  -std=c++17 -Wall -Wextra
  -isystem "$node_include" -isystem "$addon_api_include"
  -DNAPI_VERSION=8 -DNODE_ADDON_API_DISABLE_CPP_EXCEPTIONS -DWIN32_LEAN_AND_MEAN
  -DBUILDING_NODE_EXTENSION -DUSING_UV_SHARED=1 -DUSING_V8_SHARED=1
)

sources=(native/win32.cc native/unsupported.cc native/regions.cc)
if [[ -f native/addon.cc ]]; then
  sources+=(native/addon.cc)
else
  echo "check-win32: native/addon.cc not present, skipped"
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "check-win32: $("$CXX" --version | head -n 1)"
failed=()
for src in "${sources[@]}"; do
  cmd=("$CXX" "${flags[@]}" -c "$src" -o "$out/$(basename "$src" .cc).o")
  echo "check-win32: ${cmd[*]}"
  if "${cmd[@]}"; then
    echo "check-win32: ok   $src"
  else
    echo "check-win32: FAIL $src" >&2
    failed+=("$src")
  fi
done

if ((${#failed[@]} > 0)); then
  echo "check-win32: ${#failed[@]} of ${#sources[@]} file(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "check-win32: all ${#sources[@]} file(s) compile for x86_64 Windows"
