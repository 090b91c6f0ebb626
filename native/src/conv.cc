// 2-D convolution (forward with fused bias/activation, backward data, backward weights) on oneDNN.
// tfjs holds activations as NHWC and filters as HWIO. Wide convs run in the blocked layouts oneDNN picks (format `any`),
// reordering in and out on every call; narrow ones run on NHWC directly (see Strategy). Filters are always reordered
// on each call, deliberately: during training they change every step, so a cached blocked copy would go stale.
#include "conv_narrow.h"
#include "conv_support.h"
#include "conv_winograd.h"

namespace nst {

using namespace convsupport;

namespace {

// The geometry JS passes as 17 integers (dilations tfjs-style: 1 = dense). The output size and the padding are already
// consistent with oneDNN's rule (ih + pt + pb - ((kh-1)*dh + 1)) / sh + 1 == oh: the TS side checks it.
struct ConvGeom {
  int64_t n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;

  static ConvGeom From(const Napi::Value& v) {
    auto d = FixedDims(v, "conv geometry", 17);
    return {d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15], d[16]};
  }
  size_t src_size() const { return size_t(n * ih * iw * ic); }
  size_t dst_size() const { return size_t(n * oh * ow * oc); }
  size_t wei_size() const { return size_t(kh * kw * ic * oc); }

  md src_user() const { return md({n, ic, ih, iw}, dt::f32, tag::nhwc); }
  md dst_user() const { return md({n, oc, oh, ow}, dt::f32, tag::nhwc); }
  md wei_user() const { return md({oc, ic, kh, kw}, dt::f32, tag::hwio); }
  // The layouts a primitive is created with: `any` lets oneDNN pick its blocked layout; plain keeps tfjs' NHWC.
  md src_inner(bool plain) const { return md({n, ic, ih, iw}, dt::f32, plain ? tag::nhwc : tag::any); }
  md dst_inner(bool plain) const { return md({n, oc, oh, ow}, dt::f32, plain ? tag::nhwc : tag::any); }
  md wei_any() const { return md({oc, ic, kh, kw}, dt::f32, tag::any); }
  dims_t strides() const { return {sh, sw}; }
  dims_t dilations() const { return {dh - 1, dw - 1}; }  // oneDNN counts the gaps, tfjs the step
  dims_t pad_l() const { return {pt, pl}; }
  dims_t pad_r() const { return {pb, pr}; }
  std::string key() const {
    return Key(n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr);
  }
  NarrowConv narrow() const { return {n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl}; }

  // The forward descriptor; backward primitives need the forward one as a hint.
  dnnl::convolution_forward::primitive_desc forward_pd(bool with_bias, const dnnl::primitive_attr& attr,
                                                      dnnl::algorithm alg, bool plain) const {
    auto desc = with_bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, alg, src_inner(plain),
                                                            wei_any(), md({oc}, dt::f32, tag::x), dst_inner(plain),
                                                            strides(), dilations(), pad_l(), pad_r())
                          : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, alg, src_inner(plain),
                                                            wei_any(), dst_inner(plain), strides(), dilations(),
                                                            pad_l(), pad_r());
    return dnnl::convolution_forward::primitive_desc(desc, attr, cpu_engine());
  }
};

// Activations that fold into the convolution as a oneDNN post-op; the codes are shared with conv-kernels.ts.
enum Activation { kLinear = 0, kRelu = 1, kRelu6 = 2, kLeakyRelu = 3 };

dnnl::primitive_attr ActivationAttr(int activation, float alpha) {
  dnnl::primitive_attr attr = UserScratchpadAttr();
  dnnl::post_ops ops;
  switch (activation) {
    case kLinear: break;
    case kRelu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f); break;
    case kRelu6: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, 6.f); break;
    case kLeakyRelu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, alpha, 0.f); break;
    default: throw std::invalid_argument("unknown activation code " + std::to_string(activation));
  }
  attr.set_post_ops(ops);
  return attr;
}

// How to run a conv, chosen per shape by conv-kernels.ts (codes shared with it):
//  - kBlocked: direct algorithm in oneDNN's blocked layouts (reorders in/out; best for wide convs),
//  - kWinograd: Winograd F(4x4, 3x3) for 3x3 stride-1 convs, ~2.25x fewer multiplies, blocked layouts only, relative
//    error ~1e-6 against direct (far inside the 1e-4 tests),
//  - kPlain: direct on tfjs' NHWC as is (no reorders; blocked layouts pad 3 channels to 16, wasting 5x),
//  - kNarrowOut: our AVX-512 kernels for convs with at most 4 output channels (conv_narrow.cc), forward and filter
//    gradient; the data gradient (and CPUs without AVX-512) use kPlain.
// oneDNN lacks some of these for some shapes / ISAs: each strategy lists fallbacks, ending with blocked direct.
enum Strategy { kBlocked = 0, kWinograd = 1, kPlain = 2, kNarrowOut = 3 };

struct Candidate {
  dnnl::algorithm alg;
  bool plain;
};

std::vector<Candidate> Candidates(int strategy) {
  const Candidate blocked{dnnl::algorithm::convolution_direct, false};
  switch (strategy) {
    case kBlocked: return {blocked};
    case kWinograd: return {{dnnl::algorithm::convolution_winograd, false}, blocked};
    case kPlain: return {{dnnl::algorithm::convolution_direct, true}, blocked};
    case kNarrowOut: return Candidates(kPlain);  // for the data gradient, which has no kernel of ours
    default: throw std::invalid_argument("unknown conv strategy " + std::to_string(strategy));
  }
}

// The first candidate oneDNN implements with a real kernel. A plain-layout request can land on the reference
// implementation (correct but ~100x slower), which counts as unavailable.
template <typename Build>
auto Choose(int strategy, Build&& build) {
  auto candidates = Candidates(strategy);
  for (size_t i = 0; i + 1 < candidates.size(); i++) {
    try {
      auto pd = PreferWinograd4x3(build(candidates[i].alg, candidates[i].plain));
      if (std::string(pd.impl_info_str()).rfind("ref", 0) != 0) return pd;
    } catch (const dnnl::error&) {
      // unimplemented for this shape / ISA: try the next one
    }
  }
  return PreferWinograd4x3(build(candidates.back().alg, candidates.back().plain));
}

// "<implementation> <layout>", e.g. "jit_wino_4x3:avx512_core blocked" or "brgconv:avx512_core nhwc" (diagnostics).
template <typename PD>
std::string Describe(const PD& pd, const md& activation_layout, const md& nhwc) {
  return std::string(pd.impl_info_str()) + (activation_layout == nhwc ? " nhwc" : " blocked");
}

// The symmetric pad (0 or 1) of a 3×3 stride-1 dense conv that our own Winograd takes in place of oneDNN's, or -1.
// Only with the Winograd strategy (so 16+ channels each side) and on CPUs where oneDNN has none.
int64_t OwnWinogradPad(const ConvGeom& g, int strategy) {
  if (strategy != kWinograd || !OwnWinogradWanted()) return -1;
  if (g.kh != 3 || g.kw != 3 || g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1) return -1;
  const int64_t p = g.pt;
  if ((p != 0 && p != 1) || g.pl != p || g.pb != p || g.pr != p) return -1;
  return g.oh == g.ih + 2 * p - 2 && g.ow == g.iw + 2 * p - 2 ? p : -1;
}

struct ConvForward {
  dnnl::convolution_forward prim;
  std::string impl;
  md scratch;
  Staged src, wei, dst;
};

struct ConvBackwardData {
  dnnl::convolution_backward_data prim;
  std::string impl;
  md scratch;
  Staged diff_dst, wei, diff_src;
};

struct ConvBackwardWeights {
  dnnl::convolution_backward_weights prim;
  std::string impl;
  md scratch;
  Staged src, diff_dst, diff_wei;
};

Cache<ConvForward> g_forward;
// Configurations our own Winograd ran (no primitive to cache), listed by convCacheInfo like the cached ones.
std::map<std::string, std::string> g_own_winograd;
constexpr const char* kOwnWinogradImpl = "winograd_4x3:avx2 (nst) blocked";
Cache<ConvBackwardData> g_backward_data;
Cache<ConvBackwardWeights> g_backward_weights;

// convForward(x, filter, bias | null, out, geometry[17], activationCode, leakyAlpha, strategy):
//   out = act(conv(x, filter) + bias)
Napi::Value ConvForwardJs(const Napi::CallbackInfo& info) {
  return guarded(info, "convForward", [&]() -> Napi::Value {
    const ConvGeom g = ConvGeom::From(info[4]);
    const bool with_bias = !info[2].IsNull() && !info[2].IsUndefined();
    const int activation = info[5].As<Napi::Number>().Int32Value();
    const float alpha = info[6].IsNumber() ? info[6].As<Napi::Number>().FloatValue() : 0.f;
    float* x = F32Exact(info[0], "x", g.src_size());
    float* w = F32Exact(info[1], "filter", g.wei_size());
    float* bias = with_bias ? F32Exact(info[2], "bias", size_t(g.oc)) : nullptr;
    float* y = F32Exact(info[3], "out", g.dst_size());

    const int strategy = info[7].As<Napi::Number>().Int32Value();
    if (strategy == kNarrowOut && NarrowOutAvailable()) {
      NarrowOutForward(g.narrow(), x, w, bias, y, activation, alpha);
      return info.Env().Undefined();
    }
    const int64_t wino_pad = OwnWinogradPad(g, strategy);
    if (wino_pad >= 0 && (activation == kLinear || activation == kRelu)) {
      g_own_winograd.emplace("forward " + Key(g.key(), with_bias, activation, alpha, strategy), kOwnWinogradImpl);
      OwnWinogradNhwc(x, g.n, g.ih, g.iw, g.ic, wino_pad, w, bias, g.oc, activation == kRelu, y);
      return info.Env().Undefined();
    }
    ConvForward& e = g_forward.Get(Key(g.key(), with_bias, activation, alpha, strategy), [&] {
      auto pd = Choose(strategy, [&](dnnl::algorithm alg, bool plain) {
        return g.forward_pd(with_bias, ActivationAttr(activation, alpha), alg, plain);
      });
      return ConvForward{dnnl::convolution_forward(pd), Describe(pd, pd.src_desc(), g.src_user()), pd.scratchpad_desc(),
                         Staged(g.src_user(), pd.src_desc(), kSlotSrc, true),
                         Staged(g.wei_user(), pd.weights_desc(), kSlotWeights, true),
                         Staged(g.dst_user(), pd.dst_desc(), kSlotDst, false)};
    });
    auto src = e.src.Prepare(x);
    auto wei = e.wei.Prepare(w);
    auto dst = e.dst.Prepare(y);
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src},
                                               {DNNL_ARG_WEIGHTS, wei},
                                               {DNNL_ARG_DST, dst},
                                               {DNNL_ARG_SCRATCHPAD, Scratchpad(e.scratch)}};
    if (with_bias) args.emplace(DNNL_ARG_BIAS, dnnl::memory(md({g.oc}, dt::f32, tag::x), cpu_engine(), bias));
    e.prim.execute(cpu_stream(), args);
    e.dst.Finish(y, dst);
    cpu_stream().wait();
    return info.Env().Undefined();
  });
}

// convBackwardData(dy, filter, dxOut, geometry[17], strategy): the gradient w.r.t. the conv input (also conv2dTranspose).
Napi::Value ConvBackwardDataJs(const Napi::CallbackInfo& info) {
  return guarded(info, "convBackwardData", [&]() -> Napi::Value {
    const ConvGeom g = ConvGeom::From(info[3]);
    float* dy = F32Exact(info[0], "dy", g.dst_size());
    float* w = F32Exact(info[1], "filter", g.wei_size());
    float* dx = F32Exact(info[2], "out", g.src_size());

    const int strategy = info[4].As<Napi::Number>().Int32Value();
    const int64_t wino_pad = OwnWinogradPad(g, strategy);
    if (wino_pad >= 0) {
      g_own_winograd.emplace("backwardData " + Key(g.key(), strategy), kOwnWinogradImpl);
      OwnWinogradBackwardData(dy, g.n, g.oh, g.ow, g.oc, wino_pad, w, g.ic, dx);
      return info.Env().Undefined();
    }
    ConvBackwardData& e = g_backward_data.Get(Key(g.key(), strategy), [&] {
      auto pd = Choose(strategy, [&](dnnl::algorithm alg, bool plain) {
        auto hint = g.forward_pd(false, UserScratchpadAttr(), alg, plain);
        auto desc = dnnl::convolution_backward_data::desc(alg, g.src_inner(plain), g.wei_any(), g.dst_inner(plain),
                                                          g.strides(), g.dilations(), g.pad_l(), g.pad_r());
        return dnnl::convolution_backward_data::primitive_desc(desc, UserScratchpadAttr(), cpu_engine(), hint);
      });
      return ConvBackwardData{dnnl::convolution_backward_data(pd), Describe(pd, pd.diff_src_desc(), g.src_user()),
                              pd.scratchpad_desc(),
                              Staged(g.dst_user(), pd.diff_dst_desc(), kSlotDst, true),
                              Staged(g.wei_user(), pd.weights_desc(), kSlotWeights, true),
                              Staged(g.src_user(), pd.diff_src_desc(), kSlotSrc, false)};
    });
    auto diff_dst = e.diff_dst.Prepare(dy);
    auto wei = e.wei.Prepare(w);
    auto diff_src = e.diff_src.Prepare(dx);
    e.prim.execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, diff_dst},
                                  {DNNL_ARG_WEIGHTS, wei},
                                  {DNNL_ARG_DIFF_SRC, diff_src},
                                  {DNNL_ARG_SCRATCHPAD, Scratchpad(e.scratch)}});
    e.diff_src.Finish(dx, diff_src);
    cpu_stream().wait();
    return info.Env().Undefined();
  });
}

// convBackwardWeights(x, dy, dwOut, geometry[17], strategy): the gradient w.r.t. the filter, written as HWIO.
Napi::Value ConvBackwardWeightsJs(const Napi::CallbackInfo& info) {
  return guarded(info, "convBackwardWeights", [&]() -> Napi::Value {
    const ConvGeom g = ConvGeom::From(info[3]);
    float* x = F32Exact(info[0], "x", g.src_size());
    float* dy = F32Exact(info[1], "dy", g.dst_size());
    float* dw = F32Exact(info[2], "out", g.wei_size());

    const int strategy = info[4].As<Napi::Number>().Int32Value();
    if (strategy == kNarrowOut && NarrowOutAvailable()) {
      NarrowOutBackwardWeights(g.narrow(), x, dy, dw);
      return info.Env().Undefined();
    }
    ConvBackwardWeights& e = g_backward_weights.Get(Key(g.key(), strategy), [&] {
      auto pd = Choose(strategy, [&](dnnl::algorithm alg, bool plain) {
        auto hint = g.forward_pd(false, UserScratchpadAttr(), alg, plain);
        auto desc = dnnl::convolution_backward_weights::desc(alg, g.src_inner(plain), g.wei_any(), g.dst_inner(plain),
                                                             g.strides(), g.dilations(), g.pad_l(), g.pad_r());
        return dnnl::convolution_backward_weights::primitive_desc(desc, UserScratchpadAttr(), cpu_engine(), hint);
      });
      return ConvBackwardWeights{dnnl::convolution_backward_weights(pd), Describe(pd, pd.src_desc(), g.src_user()),
                                 pd.scratchpad_desc(),
                                 Staged(g.src_user(), pd.src_desc(), kSlotSrc, true),
                                 Staged(g.dst_user(), pd.diff_dst_desc(), kSlotDst, true),
                                 Staged(g.wei_user(), pd.diff_weights_desc(), kSlotWeights, false)};
    });
    auto src = e.src.Prepare(x);
    auto diff_dst = e.diff_dst.Prepare(dy);
    auto diff_wei = e.diff_wei.Prepare(dw);
    e.prim.execute(cpu_stream(), {{DNNL_ARG_SRC, src},
                                  {DNNL_ARG_DIFF_DST, diff_dst},
                                  {DNNL_ARG_DIFF_WEIGHTS, diff_wei},
                                  {DNNL_ARG_SCRATCHPAD, Scratchpad(e.scratch)}});
    e.diff_wei.Finish(dw, diff_wei);
    cpu_stream().wait();
    return info.Env().Undefined();
  });
}

// Depthwise conv as a grouped oneDNN conv: one group per input channel, `multiplier` outputs each. tfjs' filter
// [kh, kw, C, M] is described in place by strides (group g, output m -> element (.., .., g, m)), and output channel
// g·M + m is exactly tfjs' ordering. Forward only: its gradients stay on tfjs' JS kernels.
Cache<ConvForward> g_depthwise;

// depthwiseForward(x, filter, out, geometry[17] (ic = C, oc = C·M), multiplier, strategy: 0 blocked | 2 plain NHWC)
Napi::Value DepthwiseForwardJs(const Napi::CallbackInfo& info) {
  return guarded(info, "depthwiseForward", [&]() -> Napi::Value {
    const ConvGeom g = ConvGeom::From(info[3]);
    const int64_t mult = info[4].As<Napi::Number>().Int64Value();
    const int strategy = info[5].As<Napi::Number>().Int32Value();
    if (mult < 1 || g.oc != g.ic * mult) throw std::invalid_argument("depthwise: output channels must be C x multiplier");
    float* x = F32Exact(info[0], "x", g.src_size());
    float* w = F32Exact(info[1], "filter", size_t(g.kh * g.kw * g.oc));
    float* y = F32Exact(info[2], "out", g.dst_size());
    const int64_t c = g.ic;
    const md wei_user({c, mult, 1, g.kh, g.kw}, dt::f32, dims_t{mult, 1, c * mult, g.kw * c * mult, c * mult});
    ConvForward& e = g_depthwise.Get(Key(g.key(), mult, strategy), [&] {
      auto pd = Choose(strategy, [&](dnnl::algorithm alg, bool plain) {
        dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, alg, g.src_inner(plain),
                                             md({c, mult, 1, g.kh, g.kw}, dt::f32, tag::any), g.dst_inner(plain),
                                             g.strides(), g.dilations(), g.pad_l(), g.pad_r());
        return dnnl::convolution_forward::primitive_desc(desc, UserScratchpadAttr(), cpu_engine());
      });
      return ConvForward{dnnl::convolution_forward(pd), Describe(pd, pd.src_desc(), g.src_user()), pd.scratchpad_desc(),
                         Staged(g.src_user(), pd.src_desc(), kSlotSrc, true),
                         Staged(wei_user, pd.weights_desc(), kSlotWeights, true),
                         Staged(g.dst_user(), pd.dst_desc(), kSlotDst, false)};
    });
    auto src = e.src.Prepare(x);
    auto wei = e.wei.Prepare(w);
    auto dst = e.dst.Prepare(y);
    e.prim.execute(cpu_stream(), {{DNNL_ARG_SRC, src},
                                  {DNNL_ARG_WEIGHTS, wei},
                                  {DNNL_ARG_DST, dst},
                                  {DNNL_ARG_SCRATCHPAD, Scratchpad(e.scratch)}});
    e.dst.Finish(y, dst);
    cpu_stream().wait();
    return info.Env().Undefined();
  });
}

// convCacheInfo(): how many primitives are cached and how much scratch the arena holds (diagnostics, tests).
Napi::Value ConvCacheInfoJs(const Napi::CallbackInfo& info) {
  auto o = Napi::Object::New(info.Env());
  o.Set("forward", double(g_forward.size()));
  o.Set("backwardData", double(g_backward_data.size()));
  o.Set("backwardWeights", double(g_backward_weights.size()));
  o.Set("arenaBytes", double(ArenaBytes()));
  auto impls = Napi::Object::New(info.Env());
  g_forward.ForEach([&](const std::string& key, const ConvForward& e) { impls.Set("forward " + key, e.impl); });
  g_backward_data.ForEach([&](const std::string& key, const ConvBackwardData& e) { impls.Set("backwardData " + key, e.impl); });
  g_backward_weights.ForEach([&](const std::string& key, const ConvBackwardWeights& e) { impls.Set("backwardWeights " + key, e.impl); });
  g_depthwise.ForEach([&](const std::string& key, const ConvForward& e) { impls.Set("depthwise " + key, e.impl); });
  for (const auto& [key, impl] : g_own_winograd) impls.Set(key, impl);
  o.Set("implementations", impls);
  return o;
}

}  // namespace

void InitConv(Napi::Env env, Napi::Object exports) {
  exports.Set("convForward", Napi::Function::New(env, ConvForwardJs));
  exports.Set("convBackwardData", Napi::Function::New(env, ConvBackwardDataJs));
  exports.Set("convBackwardWeights", Napi::Function::New(env, ConvBackwardWeightsJs));
  exports.Set("depthwiseForward", Napi::Function::New(env, DepthwiseForwardJs));
  exports.Set("convCacheInfo", Napi::Function::New(env, ConvCacheInfoJs));
  InitPool(env, exports);
  InitMatmul(env, exports);
}

}  // namespace nst
