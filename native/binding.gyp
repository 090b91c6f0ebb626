{
  "targets": [
    {
      "target_name": "nst_native",
      "sources": [
        "src/addon.cc",
        "src/process.cc",
        "src/conv.cc",
        "src/conv_support.cc",
        "src/conv_pool.cc",
        "src/conv_matmul.cc",
        "src/conv_narrow.cc",
        "src/conv_winograd.cc",
        "src/eltwise.cc",
        "src/eltwise_binary.cc",
        "src/eltwise_reduce.cc",
        "src/eltwise_gather.cc",
        "src/norm.cc",
        "src/plan.cc",
        "src/plan_build.cc",
        "src/plan_buffers.cc",
        "src/plan_run.cc",
        "src/plan_kernels.cc",
        "src/winograd.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fopenmp", "-march=x86-64-v2", "-mtune=native"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-ldnnl"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-I/opt/homebrew/include"],
            "OTHER_LDFLAGS": ["-L/opt/homebrew/lib"]
          }
        }]
      ]
    }
  ]
}
