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

// Below this many elements (64 MB of float32) a loop runs on one thread. These kernels stream memory at several GB/s
// on one core: a [1,256,256,32] instance norm takes ~1.5 ms, a [4,128,128,64] mirror-pad fold ~2 ms, next to seconds
// of convolution per training step, so a second thread could save a percent at best. But every OpenMP region ends in
// a barrier, and when the cores are shared (other processes) a worker that is not scheduled stalls it for a
// timeslice: on the 2-core dev box under load (load average ~13) a 512K-element add took 12 ms instead of 0.08 ms and
// a 4M-element fold 24 ms instead of 2. So by default only huge tensors use the team; on a dedicated machine lower
// the threshold with setEltwiseParallelMin (NST_ELTWISE_PARALLEL_MIN), and OMP_WAIT_POLICY=passive softens stalls.
constexpr int64_t kDefaultParallelMin = 1 << 24;

// The threshold in force (tests lower it to run the multi-threaded paths on tiny inputs: setEltwiseParallelMin).
int64_t ParallelMin();

}  // namespace eltwise
}  // namespace nst
