{
  "targets": [
    {
      "target_name": "amber_native",
      "sources": [
        "native/addon.cc",
        "native/ptrace.cc",
        "native/process.cc",
        "native/memory.cc",
        "native/files.cc",
        "native/sockets.cc",
        "native/notify.cc",
        "native/tty.cc",
        "native/check.cc",
        "native/pagecopy.cc",
        "native/signals.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
