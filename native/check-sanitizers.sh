#!/usr/bin/env bash
# Native code checks: builds the addon with AddressSanitizer and UndefinedBehaviorSanitizer
# and runs the native, API, guest and hardening tests against that build; then cppcheck.
# Used by .ci/run. Needs g++ (with libasan and libubsan) and cppcheck.
set -euo pipefail
cd "$(dirname "$0")/.."

out=native/build-sanitized
mkdir -p "$out"
node_include=/usr/include/node
[ -f "$node_include/node_api.h" ] || node_include="$(dirname "$(dirname "$(command -v node)")")/include/node"
addon_api="$(node -p "require('path').resolve(require('node-addon-api').include_dir)")"

echo "check-sanitizers: building $out/mmap_wasi.node with -fsanitize=address,undefined"
g++ -std=c++17 -shared -fPIC -g -O1 -fno-omit-frame-pointer -fno-exceptions \
  -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-sanitize=vptr \
  -Wall -Wextra -Werror \
  -isystem "$node_include" -isystem "$addon_api" -DNAPI_VERSION=8 -DNODE_ADDON_API_DISABLE_CPP_EXCEPTIONS \
  native/addon.cc native/regions.cc native/posix.cc -o "$out/mmap_wasi.node"

# -fno-sanitize=vptr: V8 is built without RTTI, so the vptr check cannot see the type of
# objects it made (the std::shared_ptr<BackingStore> the V8 API hands over) and reports
# every one of them.
# The addon is loaded into an uninstrumented node, so the runtimes are preloaded.
# detect_leaks=0: node itself keeps memory until exit. handle_sigbus=0 and
# allow_user_segv_handler=1: the addon's own SIGBUS guard is part of what is tested.
export LD_PRELOAD="$(g++ -print-file-name=libasan.so) $(g++ -print-file-name=libubsan.so)"
export ASAN_OPTIONS=detect_leaks=0:handle_sigbus=0:allow_user_segv_handler=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export MMAP_WASI_ADDON_PATH="$PWD/$out/mmap_wasi.node"
echo "check-sanitizers: running the native, API, guest and hardening tests on it"
# The tests that read what mlock did (their titles say "smaps Locked" or RLIMIT_MEMLOCK)
# are left out: ASan replaces mlock and munlock with no-ops.
npx mocha --grep '^(?!.*(smaps Locked|RLIMIT_MEMLOCK))(core|api|effects|guest ABI|truncation|limits|sandbox|special files|addon arguments|durability|teardown|model)'
unset LD_PRELOAD

echo "check-sanitizers: cppcheck"
cppcheck --enable=warning,performance,portability,style --std=c++17 --inline-suppr --error-exitcode=1 -q \
  --suppress=missingIncludeSystem -Inative native/addon.cc native/regions.cc native/posix.cc native/unsupported.cc native/win32.cc
echo "check-sanitizers: clean"
