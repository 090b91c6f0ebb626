// Batched matrix multiply on oneDNN's matmul (serves tfjs' BatchMatMul, e.g. Gram matrices F·Fᵀ of the style loss).
// Transposes are expressed as strides on the plain row-major buffers, so nothing is copied.
#include "conv_support.h"

namespace nst {
namespace convsupport {

namespace {

// [batchA, batchB, m, k, n]: A is batchA × (m×k, or k×m when transposed), B is batchB × (k×n, or n×k when transposed),
// the output max(batchA, batchB) × m×n. A batch of 1 broadcasts.
struct MatmulGeom {
  int64_t batch_a, batch_b, m, k, n;
  bool trans_a, trans_b;

  int64_t batch() const { return std::max(batch_a, batch_b); }
  md a() const {
    return trans_a ? md({batch_a, m, k}, dt::f32, dims_t{m * k, 1, m}) : md({batch_a, m, k}, dt::f32, dims_t{m * k, k, 1});
  }
  md b() const {
    return trans_b ? md({batch_b, k, n}, dt::f32, dims_t{k * n, 1, k}) : md({batch_b, k, n}, dt::f32, dims_t{k * n, n, 1});
  }
  md c() const { return md({batch(), m, n}, dt::f32, dims_t{m * n, n, 1}); }
  std::string key() const { return Key(batch_a, batch_b, m, k, n, trans_a, trans_b); }
};

struct Matmul {
  dnnl::matmul prim;
  md scratch;
};

Cache<Matmul> g_matmul;

// batchMatMul(a, b, out, [batchA, batchB, m, k, n], transposeA, transposeB)
Napi::Value BatchMatMulJs(const Napi::CallbackInfo& info) {
  return guarded(info, "batchMatMul", [&]() -> Napi::Value {
    auto d = FixedDims(info[3], "matmul geometry", 5);
    const MatmulGeom g{d[0], d[1], d[2], d[3], d[4], info[4].ToBoolean().Value(), info[5].ToBoolean().Value()};
    if (g.batch_a != g.batch_b && g.batch_a != 1 && g.batch_b != 1) {
      throw std::invalid_argument("batch sizes " + std::to_string(g.batch_a) + " and " + std::to_string(g.batch_b) +
                                  " do not broadcast");
    }
    float* a = F32Exact(info[0], "a", size_t(g.batch_a * g.m * g.k));
    float* b = F32Exact(info[1], "b", size_t(g.batch_b * g.k * g.n));
    float* c = F32Exact(info[2], "out", size_t(g.batch() * g.m * g.n));
    Matmul& e = g_matmul.Get(g.key(), [&] {
      dnnl::matmul::desc desc(g.a(), g.b(), g.c());
      dnnl::matmul::primitive_desc pd(desc, UserScratchpadAttr(), cpu_engine());
      return Matmul{dnnl::matmul(pd), pd.scratchpad_desc()};
    });
    auto& eng = cpu_engine();
    e.prim.execute(cpu_stream(), {{DNNL_ARG_SRC, dnnl::memory(g.a(), eng, a)},
                                  {DNNL_ARG_WEIGHTS, dnnl::memory(g.b(), eng, b)},
                                  {DNNL_ARG_DST, dnnl::memory(g.c(), eng, c)},
                                  {DNNL_ARG_SCRATCHPAD, Scratchpad(e.scratch)}});
    cpu_stream().wait();
    return info.Env().Undefined();
  });
}

}  // namespace

void InitMatmul(Napi::Env env, Napi::Object exports) {
  exports.Set("batchMatMul", Napi::Function::New(env, BatchMatMulJs));
}

}  // namespace convsupport
}  // namespace nst
