// Elementwise float32 arithmetic with numpy broadcasting (Add, Sub, Multiply, RealDiv, SquaredDifference) and the
// unary ops the training step runs on big tensors (Relu, Step, Square, Sqrt).
//
// Broadcasting is solved once per call, not per element: both operands get strides over the output shape (0 along
// broadcast axes), size-1 axes are dropped and neighbouring axes that are contiguous for both operands are merged.
// What remains is a short list of outer axes walked by an odometer and one inner run whose operand strides are 0 or 1,
// so the common cases (same shape, scalar, per-channel [C], per-instance [N,1,1,C]) become plain vectorizable loops.
#include "eltwise_ops.h"
#include <algorithm>
#include <cmath>

namespace nst {
namespace {

using eltwise::F32Exact;
using eltwise::ParallelMin;
using eltwise::Volume;

struct Axis {
  int64_t size, sa, sb;
};

// Output axes (outermost first) with each operand's stride along them, after dropping size-1 axes and merging.
std::vector<Axis> BroadcastAxes(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                                const std::vector<int64_t>& out) {
  const size_t r = out.size();
  if (a.size() > r || b.size() > r) throw std::invalid_argument("operand rank exceeds output rank");
  auto strides = [&](const std::vector<int64_t>& s) {
    std::vector<int64_t> st(r, 0);
    int64_t acc = 1;
    for (size_t k = 0; k < s.size(); k++) {
      size_t i = s.size() - 1 - k, o = r - 1 - k;
      if (s[i] != out[o] && s[i] != 1) throw std::invalid_argument("shapes do not broadcast to the output shape");
      st[o] = s[i] == 1 ? 0 : acc;
      acc *= s[i];
    }
    return st;
  };
  auto sa = strides(a), sb = strides(b);
  std::vector<Axis> axes;
  for (size_t i = 0; i < r; i++) {
    if (out[i] == 1) continue;
    Axis cur{out[i], sa[i], sb[i]};
    if (!axes.empty()) {
      Axis& prev = axes.back();
      if (prev.sa == cur.sa * cur.size && prev.sb == cur.sb * cur.size) {
        prev = {prev.size * cur.size, cur.sa, cur.sb};
        continue;
      }
    }
    axes.push_back(cur);
  }
  if (axes.empty()) axes.push_back({1, 0, 0});
  return axes;
}

// Out of line for the same reason as MapRange below.
template <typename Op>
__attribute__((noinline)) void InnerRun(const float* a, int64_t sa, const float* b, int64_t sb, float* o, int64_t n, Op op) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; i++) o[i] = op(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float bv = *b;
    for (int64_t i = 0; i < n; i++) o[i] = op(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const float av = *a;
    for (int64_t i = 0; i < n; i++) o[i] = op(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; i++) o[i] = op(a[i * sa], b[i * sb]);
  }
}

template <typename Op>
void Broadcast(const float* a, const float* b, float* out, const std::vector<Axis>& axes, Op op) {
  const Axis inner = axes.back();
  const size_t n_outer = axes.size() - 1;
  int64_t outer = 1;
  for (size_t i = 0; i < n_outer; i++) outer *= axes[i].size;
  // Split long inner runs so that a same-shape op (one run) still spreads over every thread.
  const int64_t block = std::max<int64_t>(4096, inner.size / 64 + 1);
  const int64_t blocks_per_run = (inner.size + block - 1) / block;
  const int64_t tasks = outer * blocks_per_run;
#pragma omp parallel for schedule(static) if (outer * inner.size >= ParallelMin())
  for (int64_t t = 0; t < tasks; t++) {
    int64_t o = t / blocks_per_run, start = (t % blocks_per_run) * block;
    int64_t len = std::min(block, inner.size - start);
    int64_t off_a = 0, off_b = 0, rest = o;
    for (size_t i = n_outer; i-- > 0;) {
      int64_t c = rest % axes[i].size;
      rest /= axes[i].size;
      off_a += c * axes[i].sa;
      off_b += c * axes[i].sb;
    }
    InnerRun(a + off_a + start * inner.sa, inner.sa, b + off_b + start * inner.sb, inner.sb,
             out + o * inner.size + start, len, op);
  }
}

// binaryF32(op, a, aShape, b, bShape, out, outShape): out = a (op) b with numpy broadcasting.
Napi::Value BinaryF32(const Napi::CallbackInfo& info) {
  return guarded(info, "binaryF32", [&]() -> Napi::Value {
    const std::string op = info[0].As<Napi::String>().Utf8Value();
    auto a_shape = dims(info[2], "aShape"), b_shape = dims(info[4], "bShape"), out_shape = dims(info[6], "outShape");
    const float* a = F32Exact(info[1], "a", Volume(a_shape));
    const float* b = F32Exact(info[3], "b", Volume(b_shape));
    float* out = F32Exact(info[5], "out", Volume(out_shape));
    if (Volume(out_shape) == 0) return info.Env().Undefined();
    auto axes = BroadcastAxes(a_shape, b_shape, out_shape);
    if (op == "add") {
      Broadcast(a, b, out, axes, [](float x, float y) { return x + y; });
    } else if (op == "sub") {
      Broadcast(a, b, out, axes, [](float x, float y) { return x - y; });
    } else if (op == "mul") {
      Broadcast(a, b, out, axes, [](float x, float y) { return x * y; });
    } else if (op == "div") {
      Broadcast(a, b, out, axes, [](float x, float y) { return x / y; });
    } else if (op == "sqdiff") {
      Broadcast(a, b, out, axes, [](float x, float y) { return (x - y) * (x - y); });
    } else {
      throw std::invalid_argument("unknown binary op '" + op + "'");
    }
    return info.Env().Undefined();
  });
}

// The loop lives in its own (not inlined) function: compiled inside the function OpenMP outlines for the parallel
// region, GCC 12 kept relu/step as scalar branches (step on zero-mean data mispredicts half the time: 100x slower).
template <typename Op>
__attribute__((noinline)) void MapRange(const float* x, float* out, int64_t n, Op op) {
  for (int64_t i = 0; i < n; i++) out[i] = op(x[i]);
}

template <typename Op>
void Map(const float* x, float* out, int64_t n, Op op) {
  if (n < ParallelMin()) return MapRange(x, out, n, op);
  constexpr int64_t kBlock = 1 << 16;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; b++) {
    const int64_t start = b * kBlock;
    MapRange(x + start, out + start, std::min(kBlock, n - start), op);
  }
}

// unaryF32(op, x, out, param): relu (NaN stays NaN, as Math.max), step (x > 0 ? 1 : param; NaN stays NaN), square,
// sqrt. The bodies are selects, not branches, so they vectorize: a data-dependent branch (step on zero-mean
// activations) mispredicts half the time and ran 100x slower than the vectorized loop.
Napi::Value UnaryF32(const Napi::CallbackInfo& info) {
  return guarded(info, "unaryF32", [&]() -> Napi::Value {
    const std::string op = info[0].As<Napi::String>().Utf8Value();
    size_t n = 0;
    const float* x = f32(info[1], "x", &n);
    float* out = F32Exact(info[2], "out", int64_t(n));
    if (op == "relu") {
      Map(x, out, int64_t(n), [](float v) { return v < 0.f ? 0.f : v; });
    } else if (op == "step") {
      const float alpha = info[3].As<Napi::Number>().FloatValue();
      Map(x, out, int64_t(n), [alpha](float v) {
        const float r = v > 0.f ? 1.f : alpha;
        return v == v ? r : v;  // v != v only for NaN, which passes through
      });
    } else if (op == "square") {
      Map(x, out, int64_t(n), [](float v) { return v * v; });
    } else if (op == "sqrt") {
      Map(x, out, int64_t(n), [](float v) { return std::sqrt(v); });
    } else {
      throw std::invalid_argument("unknown unary op '" + op + "'");
    }
    return info.Env().Undefined();
  });
}

// affineAddF32(x, b, scale, shift, out[, xScale, xShift, xRelu]): out = g(x) + b·scale[c] + shift[c] over
// channels-last arrays (c = the index modulo scale's length), g(x) = x, or x·xScale[c] + xShift[c] when those are
// given, through a ReLU when xRelu: the exact tile statistics' residual sums, skip + a frozen instance norm of b, over
// whole stored maps (src/infer/residual-join.ts; ~10⁸ values for a 4000×3000 photo). out may be x.
Napi::Value AffineAddF32(const Napi::CallbackInfo& info) {
  return guarded(info, "affineAddF32", [&]() -> Napi::Value {
    size_t n = 0, c = 0;
    const float* x = f32(info[0], "x", &n);
    const float* b = F32Exact(info[1], "b", int64_t(n));
    const float* scale = f32(info[2], "scale", &c);
    const float* shift = F32Exact(info[3], "shift", int64_t(c));
    float* out = F32Exact(info[4], "out", int64_t(n));
    const bool affine = info.Length() > 6 && info[5].IsTypedArray();
    const float* xs = affine ? F32Exact(info[5], "xScale", int64_t(c)) : nullptr;
    const float* xt = affine ? F32Exact(info[6], "xShift", int64_t(c)) : nullptr;
    const bool relu = info.Length() > 7 && info[7].ToBoolean().Value();
    if (c == 0 || n % c != 0) throw std::invalid_argument("x's length is not a multiple of the channels");
    const int64_t cells = int64_t(n / c), ch = int64_t(c);
#pragma omp parallel for schedule(static) if (int64_t(n) >= ParallelMin())
    for (int64_t i = 0; i < cells; i++) {
      const float* xi = x + i * ch;
      const float* bi = b + i * ch;
      float* oi = out + i * ch;
      if (!affine) {
#pragma omp simd
        for (int64_t k = 0; k < ch; k++) oi[k] = xi[k] + bi[k] * scale[k] + shift[k];
      } else {
#pragma omp simd
        for (int64_t k = 0; k < ch; k++) {
          const float g = xi[k] * xs[k] + xt[k];
          oi[k] = (relu ? std::max(g, 0.f) : g) + bi[k] * scale[k] + shift[k];
        }
      }
    }
    return info.Env().Undefined();
  });
}

}  // namespace

void InitEltwiseBinary(Napi::Env env, Napi::Object exports) {
  exports.Set("affineAddF32", Napi::Function::New(env, AffineAddF32));
  exports.Set("binaryF32", Napi::Function::New(env, BinaryF32));
  exports.Set("unaryF32", Napi::Function::New(env, UnaryF32));
}

}  // namespace nst
