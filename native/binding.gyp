{
  "targets": [
    {
      "target_name": "mmap_wasi",
      "sources": ["addon.cc", "regions.cc"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "xcode_settings": {"CLANG_CXX_LANGUAGE_STANDARD": "c++17", "MACOSX_DEPLOYMENT_TARGET": "11.0"},
      "msvs_settings": {"VCCLCompilerTool": {"AdditionalOptions": ["/std:c++17"]}},
      "conditions": [
        ["OS in 'linux mac freebsd openbsd netbsd solaris android'", {"sources": ["posix.cc"]}],
        ["OS == 'win'", {"sources": ["win32.cc"], "libraries": ["-lpsapi"]}],
        ["OS not in 'linux mac freebsd openbsd netbsd solaris android win'", {"sources": ["unsupported.cc"]}]
      ]
    }
  ]
}
