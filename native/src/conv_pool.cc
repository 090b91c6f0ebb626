// Max pooling forward and backward on oneDNN, directly on NHWC (pooling is memory-bound: its jit kernels handle
// NHWC well, so a blocked detour would only add reorders). Padding never wins a max, as in tfjs.
#include "conv_support.h"

namespace nst {
namespace convsupport {

namespace {

// [n, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr], consistent with oneDNN's output-size rule (checked in TS).
struct PoolGeom {
  int64_t n, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr;

  static PoolGeom From(const Napi::Value& v) {
    auto d = FixedDims(v, "pool geometry", 14);
    return {d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13]};
  }
  size_t src_size() const { return size_t(n * ih * iw * c); }
  size_t dst_size() const { return size_t(n * oh * ow * c); }
  md src() const { return md({n, c, ih, iw}, dt::f32, tag::nhwc); }
  md dst() const { return md({n, c, oh, ow}, dt::f32, tag::nhwc); }
  std::string key() const { return Key(n, ih, iw, c, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr); }

  dnnl::pooling_forward::primitive_desc forward_pd(dnnl::prop_kind kind) const {
    dnnl::pooling_forward::desc desc(kind, dnnl::algorithm::pooling_max, src(), dst(), {sh, sw}, {kh, kw}, {pt, pl},
                                     {pb, pr});
    return dnnl::pooling_forward::primitive_desc(desc, UserScratchpadAttr(), cpu_engine());
  }
};

struct PoolForward {
  dnnl::pooling_forward prim;
  md scratch;
};

// The gradient needs the argmax of each window: oneDNN records it in a workspace during a training-mode forward pass,
// so the backward entry holds that forward primitive too.
struct PoolBackward {
  dnnl::pooling_forward forward;
  md forward_scratch, workspace;
  dnnl::pooling_backward prim;
  md scratch;
};

Cache<PoolForward> g_pool_forward;
Cache<PoolBackward> g_pool_backward;

// maxPool(x, out, geometry[14])
Napi::Value MaxPoolJs(const Napi::CallbackInfo& info) {
  return guarded(info, "maxPool", [&]() -> Napi::Value {
    const PoolGeom g = PoolGeom::From(info[2]);
    float* x = F32Exact(info[0], "x", g.src_size());
    float* y = F32Exact(info[1], "out", g.dst_size());
    PoolForward& e = g_pool_forward.Get(g.key(), [&] {
      auto pd = g.forward_pd(dnnl::prop_kind::forward_inference);
      return PoolForward{dnnl::pooling_forward(pd), pd.scratchpad_desc()};
    });
    auto& eng = cpu_engine();
    e.prim.execute(cpu_stream(), {{DNNL_ARG_SRC, dnnl::memory(g.src(), eng, x)},
                                  {DNNL_ARG_DST, dnnl::memory(g.dst(), eng, y)},
                                  {DNNL_ARG_SCRATCHPAD, Scratchpad(e.scratch)}});
    cpu_stream().wait();
    return info.Env().Undefined();
  });
}

// maxPoolGrad(x, dy, dxOut, geometry[14]): routes each dy to the first maximum of its window (tfjs' tie rule).
Napi::Value MaxPoolGradJs(const Napi::CallbackInfo& info) {
  return guarded(info, "maxPoolGrad", [&]() -> Napi::Value {
    const PoolGeom g = PoolGeom::From(info[3]);
    float* x = F32Exact(info[0], "x", g.src_size());
    float* dy = F32Exact(info[1], "dy", g.dst_size());
    float* dx = F32Exact(info[2], "out", g.src_size());
    PoolBackward& e = g_pool_backward.Get(g.key(), [&] {
      auto fwd = g.forward_pd(dnnl::prop_kind::forward_training);
      dnnl::pooling_backward::desc desc(dnnl::algorithm::pooling_max, g.src(), g.dst(), {g.sh, g.sw}, {g.kh, g.kw},
                                        {g.pt, g.pl}, {g.pb, g.pr});
      dnnl::pooling_backward::primitive_desc pd(desc, UserScratchpadAttr(), cpu_engine(), fwd);
      return PoolBackward{dnnl::pooling_forward(fwd), fwd.scratchpad_desc(), fwd.workspace_desc(),
                          dnnl::pooling_backward(pd), pd.scratchpad_desc()};
    });
    auto& eng = cpu_engine();
    auto& s = cpu_stream();
    dnnl::memory workspace(e.workspace, eng, Arena(kSlotWorkspace, e.workspace.get_size()));
    dnnl::memory y(g.dst(), eng, Arena(kSlotDst, g.dst().get_size()));
    e.forward.execute(s, {{DNNL_ARG_SRC, dnnl::memory(g.src(), eng, x)},
                          {DNNL_ARG_DST, y},
                          {DNNL_ARG_WORKSPACE, workspace},
                          {DNNL_ARG_SCRATCHPAD, Scratchpad(e.forward_scratch)}});
    e.prim.execute(s, {{DNNL_ARG_DIFF_DST, dnnl::memory(g.dst(), eng, dy)},
                       {DNNL_ARG_DIFF_SRC, dnnl::memory(g.src(), eng, dx)},
                       {DNNL_ARG_WORKSPACE, workspace},
                       {DNNL_ARG_SCRATCHPAD, Scratchpad(e.scratch)}});
    s.wait();
    return info.Env().Undefined();
  });
}

}  // namespace

void InitPool(Napi::Env env, Napi::Object exports) {
  exports.Set("maxPool", Napi::Function::New(env, MaxPoolJs));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGradJs));
}

}  // namespace convsupport
}  // namespace nst
