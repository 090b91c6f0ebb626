// The non-convolution kernels: broadcasting arithmetic, reductions, index-map gathers (mirror padding, nearest
// resize and their gradients) and instance normalization. Each file registers its own functions on the addon's
// exports; eltwise.cc calls them all from InitEltwise.
//
// Conventions shared by all of them: the caller (src/backend/native/eltwise-*.ts) allocates every output as a JS
// Float32Array and passes it in, so no memory crosses the boundary with C++ ownership; shapes arrive as JS arrays and
// every buffer length is checked against them before a single element is touched.
#pragma once
#include "common.h"
#include <stdexcept>

namespace nst {

void InitEltwiseBinary(Napi::Env env, Napi::Object exports);
void InitEltwiseReduce(Napi::Env env, Napi::Object exports);
void InitEltwiseGather(Napi::Env env, Napi::Object exports);
void InitNorm(Napi::Env env, Napi::Object exports);

namespace eltwise {

// Product of dims; throws on a negative dim (a shape from JS is never trusted).
inline int64_t Volume(const std::vector<int64_t>& shape) {
  int64_t v = 1;
  for (int64_t d : shape) {
    if (d < 0) throw std::invalid_argument("negative dimension");
    v *= d;
  }
  return v;
}

// A Float32Array that must hold exactly `expected` elements.
inline float* F32Exact(const Napi::Value& v, const char* what, int64_t expected) {
  size_t len = 0;
  float* p = f32(v, what, &len);
  if (int64_t(len) != expected) {
    throw std::invalid_argument(std::string(what) + " has " + std::to_string(len) + " elements, shape says " +
                                std::to_string(expected));
  }
  return p;
}

// Below this many elements a loop runs on one thread: waking the OpenMP team costs more than it saves.
constexpr int64_t kParallelMin = 1 << 15;

}  // namespace eltwise
}  // namespace nst
