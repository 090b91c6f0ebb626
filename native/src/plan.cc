// The whole-network inference plan: a feed-forward image network (convs, instance norms, ReLUs, residual adds,
// nearest ×2 upsampling, 2×2 max pooling) run from one NHWC image to one NHWC image entirely in oneDNN's blocked layout nChw{L}c, with
// one conversion in and one out, instead of a tfjs kernel per op that reorders NHWC ⇄ blocked around every conv.
//
// Built once per set of weights (planCreate copies them; JS rebuilds the plan when a weight changes), then per input
// size (an "instance": primitives, buffers, weights reordered to each primitive's layout once). Inference only:
// forward_inference primitives, fused ReLU, norms that write straight into the next conv's reflection-padded buffer.
//
//   planCreate(ops: Op[]) -> External     Op = { kind: 'conv', kernel, stride, pad, reflect, inChannels, outChannels,
//                                                  weights (HWIO), bias | null, relu }
//                                               | { kind: 'norm', gamma, beta, epsilon, relu, addMarked }
//                                               | { kind: 'upsample' } | { kind: 'maxpool' } | { kind: 'mark' }
//   planOutputShape(plan, [n, h, w, c]) -> [n, oh, ow, oc]
//   planRun(plan, x, [n, h, w, c], y[, stats])  stats: one entry per op, null or { mean, rstd } (Float32Arrays, one
//                                          value per channel) for a norm to use instead of its input's statistics
//   planInfo(plan) -> { lanes, instances, implementations: string[], bufferBytes }
//   planRelease(plan)                      frees buffers and weights now (the handle is unusable after)
// 'mark' keeps the current activation for the next norm with addMarked (a residual block's skip connection). A plan
// may start and end anywhere in a network (not with a 'mark' last): when the first op is not a conv the input is
// converted to the blocked layout first, when the last is not a conv its output is converted back; a whole network
// starts and ends with convs and needs neither.
//
// This file is the JS binding; plan_types.h holds the plan's data, plan_build.cc lays an instance out, plan_run.cc
// runs it.
#include "plan_types.h"

#include <memory>
#include <stdexcept>

namespace nst {
namespace plan {

namespace {

std::vector<float> FloatsOf(const Napi::Object& o, const char* key, size_t expected) {
  const Napi::Value v = o.Get(key);
  if (v.IsNull() || v.IsUndefined()) return {};
  size_t len = 0;
  const float* p = f32(v, key, &len);
  if (expected && len != expected)
    throw std::invalid_argument(std::string("plan: ") + key + " has " + std::to_string(len) + " values, expected " +
                                std::to_string(expected));
  return std::vector<float>(p, p + len);
}

int64_t Int(const Napi::Object& o, const char* key) { return o.Get(key).As<Napi::Number>().Int64Value(); }
bool Bool(const Napi::Object& o, const char* key) { return o.Get(key).ToBoolean().Value(); }

Op ParseOp(const Napi::Object& o) {
  const std::string kind = o.Get("kind").As<Napi::String>().Utf8Value();
  Op op;
  if (kind == "mark") {
    op.kind = kMark;
  } else if (kind == "upsample") {
    op.kind = kUpsample;
  } else if (kind == "maxpool") {
    op.kind = kMaxPool;
  } else if (kind == "norm") {
    op.kind = kNorm;
    op.gamma = FloatsOf(o, "gamma", 0);
    op.beta = FloatsOf(o, "beta", op.gamma.size());
    op.eps = o.Get("epsilon").As<Napi::Number>().DoubleValue();
    op.relu = Bool(o, "relu");
    op.add_marked = Bool(o, "addMarked");
  } else if (kind == "conv") {
    op.kind = kConv;
    op.k = Int(o, "kernel"), op.stride = Int(o, "stride"), op.pad = Int(o, "pad");
    op.ic = Int(o, "inChannels"), op.oc = Int(o, "outChannels");
    op.reflect = Bool(o, "reflect"), op.relu = Bool(o, "relu");
    if (op.k < 1 || op.stride < 1 || op.pad < 0 || op.ic < 1 || op.oc < 1) throw std::invalid_argument("plan: bad conv");
    op.weights = FloatsOf(o, "weights", size_t(op.k * op.k * op.ic * op.oc));
    op.bias = FloatsOf(o, "bias", size_t(op.oc));
    if (op.bias.empty()) op.bias.assign(size_t(op.oc), 0.f);
  } else {
    throw std::invalid_argument("plan: unknown op kind '" + kind + "'");
  }
  return op;
}

Plan& PlanOf(const Napi::Value& v) {
  if (!v.IsExternal()) throw Napi::TypeError::New(v.Env(), "plan must be a handle from planCreate");
  return *v.As<Napi::External<Plan>>().Data();
}

Napi::Value PlanCreateJs(const Napi::CallbackInfo& info) {
  return guarded(info, "planCreate", [&]() -> Napi::Value {
    if (!info[0].IsArray()) throw Napi::TypeError::New(info.Env(), "planCreate takes an array of ops");
    auto arr = info[0].As<Napi::Array>();
    auto plan = std::make_unique<Plan>();
    plan->lanes = OneDnnHas(dnnl::cpu_isa::avx512_core) ? 16 : 8;
    for (uint32_t i = 0; i < arr.Length(); i++) plan->ops.push_back(ParseOp(arr.Get(i).As<Napi::Object>()));
    if (plan->ops.empty() || plan->ops.back().kind == kMark) throw std::invalid_argument("plan: no op, or a 'mark' last");
    Plan* raw = plan.release();
    return Napi::External<Plan>::New(info.Env(), raw, [](Napi::Env, Plan* p) { delete p; });
  });
}

std::vector<int64_t> Shape4(const Napi::Value& v) {
  auto d = dims(v, "shape");
  if (d.size() != 4 || d[0] < 1 || d[1] < 1 || d[2] < 1 || d[3] < 1) throw std::invalid_argument("plan: shape must be [n, h, w, c]");
  return d;
}

Napi::Value PlanOutputShapeJs(const Napi::CallbackInfo& info) {
  return guarded(info, "planOutputShape", [&]() -> Napi::Value {
    Plan& plan = PlanOf(info[0]);
    if (plan.ops.empty()) throw std::invalid_argument("plan was released");
    auto d = Shape4(info[1]);
    Instance& inst = InstanceFor(plan, d[0], d[1], d[2], d[3]);
    auto out = Napi::Array::New(info.Env(), 4);
    out.Set(0u, double(inst.n)), out.Set(1u, double(inst.oh)), out.Set(2u, double(inst.ow)), out.Set(3u, double(inst.oc));
    return out;
  });
}

Napi::Value PlanRunJs(const Napi::CallbackInfo& info) {
  return guarded(info, "planRun", [&]() -> Napi::Value {
    Plan& plan = PlanOf(info[0]);
    if (plan.ops.empty()) throw std::invalid_argument("plan was released");
    auto d = Shape4(info[2]);
    size_t xlen = 0, ylen = 0;
    const float* x = f32(info[1], "x", &xlen);
    float* y = f32(info[3], "y", &ylen);
    if (xlen != size_t(d[0] * d[1] * d[2] * d[3])) throw std::invalid_argument("planRun: x does not match its shape");
    Instance& inst = InstanceFor(plan, d[0], d[1], d[2], d[3]);
    if (ylen != size_t(inst.n * inst.oh * inst.ow * inst.oc)) throw std::invalid_argument("planRun: y has the wrong size");
    if (info.Length() > 4 && info[4].IsArray()) {
      auto arr = info[4].As<Napi::Array>();
      if (arr.Length() != plan.ops.size()) throw std::invalid_argument("planRun: stats needs one entry per op");
      std::vector<FrozenStats> frozen(plan.ops.size());
      for (uint32_t i = 0; i < arr.Length(); i++) {
        const Napi::Value e = arr.Get(i);
        if (e.IsNull() || e.IsUndefined()) continue;
        if (plan.ops[i].kind != kNorm) throw std::invalid_argument("planRun: statistics for an op that is not a norm");
        const Napi::Object o = e.As<Napi::Object>();
        frozen[i].mean = FloatsOf(o, "mean", plan.ops[i].gamma.size());
        frozen[i].rstd = FloatsOf(o, "rstd", plan.ops[i].gamma.size());
      }
      Run(plan, inst, x, y, &frozen);
    } else {
      Run(plan, inst, x, y);
    }
    return info.Env().Undefined();
  });
}

// planRelease(plan): frees the plan's buffers and primitives now instead of at garbage collection.
Napi::Value PlanReleaseJs(const Napi::CallbackInfo& info) {
  return guarded(info, "planRelease", [&]() -> Napi::Value {
    Plan& plan = PlanOf(info[0]);
    plan.instances.clear();
    plan.ops.clear();
    return info.Env().Undefined();
  });
}

Napi::Value PlanInfoJs(const Napi::CallbackInfo& info) {
  return guarded(info, "planInfo", [&]() -> Napi::Value {
    Plan& plan = PlanOf(info[0]);
    auto o = Napi::Object::New(info.Env());
    o.Set("lanes", double(plan.lanes));
    o.Set("instances", double(plan.instances.size()));
    auto impls = Napi::Array::New(info.Env());
    double bytes = 0;
    if (!plan.instances.empty()) {
      const Instance& inst = plan.instances.front();
      uint32_t k = 0;
      for (const Step& s : inst.steps)
        if (!s.impl.empty()) impls.Set(k++, s.impl);
      bytes = double(BufferBytes(inst));
    }
    o.Set("implementations", impls);
    o.Set("bufferBytes", bytes);
    return o;
  });
}

}  // namespace

}  // namespace plan

void InitPlan(Napi::Env env, Napi::Object exports) {
  using namespace plan;
  exports.Set("planCreate", Napi::Function::New(env, PlanCreateJs));
  exports.Set("planOutputShape", Napi::Function::New(env, PlanOutputShapeJs));
  exports.Set("planRun", Napi::Function::New(env, PlanRunJs));
  exports.Set("planInfo", Napi::Function::New(env, PlanInfoJs));
  exports.Set("planRelease", Napi::Function::New(env, PlanReleaseJs));
}

}  // namespace nst
