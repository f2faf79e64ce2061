// Linked into the win32-x64 prebuild only (scripts/prebuild.mjs; MSVC builds through
// node-gyp get node-gyp's own hook). The addon imports Node-API from "node.exe" through
// delay loading; this hook hands the delay-load helper the process's own executable
// instead, so the addon also loads in a host with another name that exports Node-API
// (node.exe renamed, Electron, Bun or Deno).
#include <windows.h>
#include <delayimp.h>
#include <cstring>

namespace {

FARPROC WINAPI LoadHostExecutable(unsigned event, PDelayLoadInfo info) {
  // SAFETY: the helper passes a valid info for every event; szDll is a NUL-terminated name.
  if (event == dliNotePreLoadLibrary && _stricmp(info->szDll, "node.exe") == 0) {
    return reinterpret_cast<FARPROC>(GetModuleHandleW(nullptr));
  }
  return nullptr;
}

}  // namespace

// mingw-w64's delay-load helper calls the hooks through these two; defining them here
// replaces its empty defaults.
extern "C" {
PfnDliHook __pfnDliNotifyHook2 = LoadHostExecutable;
PfnDliHook __pfnDliFailureHook2 = nullptr;
}
