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
//   planRun(plan, x, [n, h, w, c], y)
//   planInfo(plan) -> { lanes, instances, implementations: string[], bufferBytes }
//   planRelease(plan)                      frees buffers and weights now (the handle is unusable after)
// 'mark' keeps the current activation for the next norm with addMarked (a residual block's skip connection). The last
// op must be a conv: its output is the NHWC result.
#include "common.h"
#include "plan_kernels.h"
#include "winograd.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <list>
#include <memory>
#include <stdexcept>

namespace nst {
namespace plan {

namespace {

using md = dnnl::memory::desc;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
using dims_t = dnnl::memory::dims;

enum Kind { kConv, kNorm, kUpsample, kMark, kMaxPool };

struct Op {
  Kind kind = kConv;
  int64_t k = 0, stride = 1, pad = 0, ic = 0, oc = 0;
  bool reflect = true, relu = false, add_marked = false;
  double eps = 1e-5;
  std::vector<float> weights, bias, gamma, beta;  // weights HWIO
  // Weights in each layout a primitive asked for (usually one), reordered once: the plan's weights never change.
  std::vector<std::pair<md, dnnl::memory>> packed;
  std::vector<float> narrow;  // for the narrow-output kernel
  WinogradFilter winograd;    // for our AVX2 Winograd
};

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<float, AlignedFree>;

Buffer Allocate(size_t floats) {
  const size_t bytes = ((floats * sizeof(float) + 63) / 64) * 64;
  auto* p = static_cast<float*>(std::aligned_alloc(64, bytes ? bytes : 64));
  if (!p) throw std::runtime_error("out of memory allocating " + std::to_string(bytes) + " bytes for the plan");
  return Buffer(p);
}

// An activation during instance building: blocked (buffer id + geometry) or the NHWC network input.
struct Act {
  bool input = false;
  int buffer = -1;
  Blocked geo;
};

enum StepKind { kStepConv, kStepNarrow, kStepWinograd, kStepNorm, kStepUpsample, kStepCopy, kStepPadInput, kStepMaxPool };

struct Step {
  explicit Step(StepKind k) : kind(k) {}
  StepKind kind;
  int op = -1;
  Act in, out, res;
  bool has_res = false;
  bool from_input = false, to_output = false;
  // oneDNN conv
  dnnl::convolution_forward prim;
  md src_md, dst_md, scratch_md;
  dnnl::memory wei, bias;
  bool reorder_src = false;
  dnnl::reorder src_reorder;
  md src_user_md;
  int src_stage = -1;  // buffer the input is reordered into
  // The last conv writes blocked and is reordered to the NHWC output when oneDNN has no fast conv writing NHWC from a
  // blocked input (its reference conv is ~1000x slower: the AdaIN encoder's 128->256 relu3_1 conv on AVX-512).
  bool reorder_dst = false;
  dnnl::reorder dst_reorder;
  md dst_user_md;
  int dst_stage = -1;
  std::string impl;
};

struct Instance {
  int64_t n = 0, h = 0, w = 0, c = 0;
  int64_t oh = 0, ow = 0, oc = 0;
  std::vector<Step> steps;
  std::vector<Buffer> buffers;
  std::vector<size_t> sizes;  // floats per buffer
  Buffer scratch;
  size_t scratch_bytes = 0;
  int input_pad = -1;  // buffer of the reflection-padded NHWC input, or -1
  bool bound = false;  // buffers allocated and steps pointing at them
  int64_t input_pad_px = 0;
};

struct Plan {
  std::vector<Op> ops;
  int64_t lanes = 16;
  std::list<Instance> instances;  // most recent first, at most kInstances
};

constexpr size_t kInstances = 2;

tag BlockedTag(int64_t lanes) { return lanes == 16 ? tag::nChw16c : tag::nChw8c; }

// Buffers are assigned while the steps are laid out: an activation's buffer returns to the pool after its last
// reader, so a deep network needs only a few (sized for the largest activation each one ever holds).
class Pool {
 public:
  int Take(size_t floats) {
    for (size_t i = 0; i < busy_.size(); i++)
      if (!busy_[i]) {
        busy_[i] = true;
        sizes_[i] = std::max(sizes_[i], floats);
        return int(i);
      }
    busy_.push_back(true);
    sizes_.push_back(floats);
    return int(busy_.size() - 1);
  }
  void Give(int id) {
    if (id >= 0) busy_[size_t(id)] = false;
  }
  const std::vector<size_t>& sizes() const { return sizes_; }

 private:
  std::vector<bool> busy_;
  std::vector<size_t> sizes_;
};

// The halo an activation needs: the reflection pad of the conv that reads it next (0 for anything else).
int64_t HaloFor(const Plan& plan, size_t next) {
  while (next < plan.ops.size() && plan.ops[next].kind == kMark) next++;
  if (next >= plan.ops.size()) return 0;
  const Op& op = plan.ops[next];
  return op.kind == kConv && op.reflect ? op.pad : 0;
}

dnnl::primitive_attr ConvAttr(bool relu) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  return attr;
}

// oneDNN's reference conv: correct, but orders of magnitude slower than any JIT kernel.
bool IsReference(const dnnl::convolution_forward::primitive_desc& pd) {
  return std::string(pd.impl_info_str()).rfind("ref", 0) == 0;
}

// The first implementation oneDNN really has (not the reference one) among the layouts/algorithms to try.
dnnl::convolution_forward::primitive_desc ChooseConv(const Op& op, const std::vector<md>& srcs, const md& dst,
                                                     int64_t zero_pad, bool winograd_first) {
  const md wei({op.oc, op.ic, op.k, op.k}, dt::f32, tag::any);
  const md bias({op.oc}, dt::f32, tag::x);
  std::vector<dnnl::algorithm> algs;
  if (winograd_first) algs.push_back(dnnl::algorithm::convolution_winograd);
  algs.push_back(dnnl::algorithm::convolution_direct);
  const dims_t strides{op.stride, op.stride}, dil{0, 0}, pad{zero_pad, zero_pad};
  std::unique_ptr<dnnl::convolution_forward::primitive_desc> fallback;
  for (auto alg : algs)
    for (const md& src : srcs) {
      try {
        dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, alg, src, wei, bias, dst, strides, dil, pad,
                                          pad);
        const auto pd = PreferWinograd4x3(dnnl::convolution_forward::primitive_desc(d, ConvAttr(op.relu), cpu_engine()));
        if (!IsReference(pd)) return pd;
        if (!fallback) fallback = std::make_unique<dnnl::convolution_forward::primitive_desc>(pd);
      } catch (const dnnl::error&) {
        // not implemented for this layout / ISA: next
      }
    }
  if (fallback) return *fallback;
  throw std::runtime_error("plan: oneDNN has no convolution for this layer");
}

dnnl::memory PackedWeights(Op& op, const md& want) {
  for (auto& [desc, mem] : op.packed)
    if (desc == want) return mem;
  auto& eng = cpu_engine();
  const md user({op.oc, op.ic, op.k, op.k}, dt::f32, tag::hwio);
  dnnl::memory src(user, eng, op.weights.data());
  dnnl::memory dst(want, eng);
  dnnl::reorder(src, dst).execute(cpu_stream(), src, dst);
  cpu_stream().wait();
  op.packed.emplace_back(want, dst);
  return dst;
}

Instance Build(Plan& plan, int64_t n, int64_t h, int64_t w, int64_t c) {
  Instance inst;
  inst.n = n, inst.h = h, inst.w = w, inst.c = c;
  Pool pool;
  const int64_t L = plan.lanes;
  Act cur;
  cur.input = true;
  cur.geo.n = n, cur.geo.c = c, cur.geo.h = h, cur.geo.w = w, cur.geo.lanes = L;
  std::vector<Act> marks;
  auto blocked = [&](int64_t ch, int64_t hh, int64_t ww, int64_t halo) {
    Act a;
    a.geo.n = n, a.geo.c = ch, a.geo.h = hh, a.geo.w = ww, a.geo.halo = halo, a.geo.lanes = L;
    a.buffer = pool.Take(size_t(a.geo.floats()));
    return a;
  };
  auto marked = [&](const Act& a) {
    for (const Act& m : marks)
      if (m.buffer == a.buffer) return true;
    return false;
  };
  // After a step: the input's buffer is free unless a mark still holds it.
  auto release = [&](const Act& a) {
    if (!a.input && !marked(a)) pool.Give(a.buffer);
  };

  for (size_t i = 0; i < plan.ops.size(); i++) {
    Op& op = plan.ops[i];
    const bool last = i + 1 == plan.ops.size();
    switch (op.kind) {
      case kMark:
        if (cur.input) throw std::invalid_argument("plan: 'mark' before the first layer");
        marks.push_back(cur);
        break;
      case kMaxPool:
      case kUpsample: {
        if (cur.input) throw std::invalid_argument("plan: 'upsample' and 'maxpool' need a blocked activation");
        const bool up = op.kind == kUpsample;
        Step s(up ? kStepUpsample : kStepMaxPool);
        s.op = int(i);
        s.in = cur;
        if (!up && (cur.geo.h < 2 || cur.geo.w < 2)) throw std::invalid_argument("plan: image too small for the network");
        s.out = up ? blocked(cur.geo.c, cur.geo.h * 2, cur.geo.w * 2, HaloFor(plan, i + 1))
                   : blocked(cur.geo.c, cur.geo.h / 2, cur.geo.w / 2, HaloFor(plan, i + 1));
        release(cur);
        cur = s.out;
        inst.steps.push_back(std::move(s));
        break;
      }
      case kNorm: {
        if (cur.input || cur.geo.halo != 0) throw std::invalid_argument("plan: a norm must follow a conv");
        if (op.gamma.size() != size_t(cur.geo.c)) throw std::invalid_argument("plan: norm channels differ from its input");
        Step s(kStepNorm);
        s.op = int(i);
        s.in = cur;
        if (op.add_marked) {
          if (marks.empty()) throw std::invalid_argument("plan: addMarked without a mark");
          s.res = marks.back();
          s.has_res = true;
          marks.pop_back();
          if (s.res.geo.c != cur.geo.c || s.res.geo.h != cur.geo.h || s.res.geo.w != cur.geo.w)
            throw std::invalid_argument("plan: residual shape differs");
        }
        // A nearest ×2 upsampling right after folds into the norm's writes.
        const bool up = i + 1 < plan.ops.size() && plan.ops[i + 1].kind == kUpsample;
        const int64_t f = up ? 2 : 1;
        s.out = blocked(cur.geo.c, cur.geo.h * f, cur.geo.w * f, HaloFor(plan, i + 1 + (up ? 1 : 0)));
        if (up) i++;
        release(cur);
        if (s.has_res) release(s.res);
        cur = s.out;
        inst.steps.push_back(std::move(s));
        break;
      }
      case kConv: {
        if (op.ic != cur.geo.c) throw std::invalid_argument("plan: conv input channels differ from its input");
        int64_t reflect_pad = op.reflect ? op.pad : 0, zero_pad = op.reflect ? 0 : op.pad;
        if (!cur.input && cur.geo.halo != reflect_pad) {
          // The producer could not provide the halo (e.g. two convs in a row): copy into a padded buffer.
          Step cp(kStepCopy);
          cp.in = cur;
          cp.out = blocked(cur.geo.c, cur.geo.h, cur.geo.w, reflect_pad);
          release(cur);
          cur = cp.out;
          inst.steps.push_back(std::move(cp));
        }
        const int64_t hin = (cur.input ? h + 2 * reflect_pad : cur.geo.hp()) + 2 * zero_pad;
        const int64_t win = (cur.input ? w + 2 * reflect_pad : cur.geo.wp()) + 2 * zero_pad;
        const int64_t oh = (hin - op.k) / op.stride + 1, ow = (win - op.k) / op.stride + 1;
        if (oh < 1 || ow < 1) throw std::invalid_argument("plan: image too small for the network");
        if (cur.input && reflect_pad > 0) {
          if (reflect_pad >= h || reflect_pad >= w) throw std::invalid_argument("plan: image smaller than the padding");
          inst.input_pad = pool.Take(size_t(n * (h + 2 * reflect_pad) * (w + 2 * reflect_pad) * c));
          inst.input_pad_px = reflect_pad;
        }
        Step s(kStepConv);
        int64_t out_halo = 0;
        s.op = int(i);
        s.in = cur;
        s.from_input = cur.input;
        s.to_output = last;
        const bool narrow = last && !cur.input && op.oc <= 4 && op.reflect && op.stride == 1 && !op.relu &&
                            cur.geo.halo * 2 == op.k - 1 && NarrowBlockedAvailable(L);
        // Our Winograd where oneDNN has none (AVX2): 3×3, stride 1, padded by the input's halo or with zeros.
        const bool own_winograd = !last && !cur.input && !WinogradOffByEnv() && op.k == 3 && op.stride == 1 && op.pad == 1 &&
                                  op.ic >= 16 && cur.geo.halo == (op.reflect ? 1 : 0) && WinogradAvailable(L);
        if (own_winograd) {
          s.kind = kStepWinograd;
          if (op.winograd.empty())
            op.winograd = MakeWinogradFilter(op.weights.data(), op.bias.empty() ? nullptr : op.bias.data(), op.ic, op.oc, L);
          s.impl = "winograd_4x3:avx2";
          out_halo = HaloFor(plan, i + 1);
        } else if (narrow) {
          s.kind = kStepNarrow;
          if (op.narrow.empty()) op.narrow = NarrowBlockedWeights(op.weights.data(), op.k, op.k, op.ic, op.oc, L);
          s.impl = std::string("narrow_blocked:") + (L == 16 ? "avx512" : "avx2");
        } else {
          const dims_t src_dims{n, op.ic, hin - 2 * zero_pad, win - 2 * zero_pad};
          std::vector<md> srcs;
          if (cur.input) {
            s.src_user_md = md(src_dims, dt::f32, tag::nhwc);
            srcs = {s.src_user_md, md(src_dims, dt::f32, tag::nchw), md(src_dims, dt::f32, tag::any)};
          } else {
            srcs = {md(src_dims, dt::f32, BlockedTag(L))};
          }
          const dims_t dst_dims{n, op.oc, oh, ow};
          const bool wino = !WinogradOffByEnv() && op.k == 3 && op.stride == 1 && L == 16 && !cur.input && op.ic % 16 == 0 &&
                            op.oc % 16 == 0 && OneDnnHas(dnnl::cpu_isa::avx512_core);
          // A conv read by a reflection-padded conv (convs in a row, as in the AdaIN decoder) writes into the interior
          // of a buffer with the halo, if oneDNN takes such a strided output; else the next conv copies it.
          out_halo = last ? 0 : HaloFor(plan, i + 1);
          md dst = last ? md(dst_dims, dt::f32, tag::nhwc) : md(dst_dims, dt::f32, BlockedTag(L));
          std::unique_ptr<dnnl::convolution_forward::primitive_desc> chosen;
          if (out_halo > 0) {
            const md framed = md({n, op.oc, oh + 2 * out_halo, ow + 2 * out_halo}, dt::f32, BlockedTag(L))
                                  .submemory_desc(dst_dims, {0, 0, out_halo, out_halo});
            try {
              auto pd = ChooseConv(op, srcs, framed, zero_pad, wino);
              if (pd.dst_desc() == framed && !IsReference(pd)) {
                chosen = std::make_unique<dnnl::convolution_forward::primitive_desc>(pd);
                dst = framed;
              }
            } catch (const std::exception&) {
              // no strided output here: plain output and a copy
            }
            if (!chosen) out_halo = 0;
          }
          if (!chosen) chosen = std::make_unique<dnnl::convolution_forward::primitive_desc>(ChooseConv(op, srcs, dst, zero_pad, wino));
          if (last && IsReference(*chosen)) {
            const md blocked_dst(dst_dims, dt::f32, BlockedTag(L));
            auto pd = ChooseConv(op, srcs, blocked_dst, zero_pad, wino);
            if (!IsReference(pd)) {
              s.reorder_dst = true;
              s.dst_user_md = dst;
              s.dst_reorder = dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), blocked_dst, cpu_engine(), dst));
              s.dst_stage = pool.Take((blocked_dst.get_size() + 3) / 4);
              dst = blocked_dst;
              chosen = std::make_unique<dnnl::convolution_forward::primitive_desc>(pd);
            }
          }
          auto& pd = *chosen;
          if (pd.dst_desc() != dst) throw std::runtime_error("plan: oneDNN changed the output layout");
          s.prim = dnnl::convolution_forward(pd);
          s.src_md = pd.src_desc();
          s.dst_md = dst;
          s.scratch_md = pd.scratchpad_desc();
          inst.scratch_bytes = std::max(inst.scratch_bytes, s.scratch_md.get_size());
          s.wei = PackedWeights(op, pd.weights_desc());
          s.bias = dnnl::memory(md({op.oc}, dt::f32, tag::x), cpu_engine(), op.bias.data());
          if (cur.input && s.src_md != s.src_user_md) {
            s.reorder_src = true;
            s.src_reorder = dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), s.src_user_md, cpu_engine(), s.src_md));
            s.src_stage = pool.Take((s.src_md.get_size() + 3) / 4);
          }
          s.impl = pd.impl_info_str();
        }
        if (last) {
          inst.oh = oh, inst.ow = ow, inst.oc = op.oc;
        } else {
          s.out = blocked(op.oc, oh, ow, out_halo);
        }
        release(cur);
        if (s.src_stage >= 0) pool.Give(s.src_stage);
        if (s.dst_stage >= 0) pool.Give(s.dst_stage);
        if (cur.input && inst.input_pad >= 0) pool.Give(inst.input_pad);
        if (!last) cur = s.out;
        inst.steps.push_back(std::move(s));
        break;
      }
    }
  }
  if (plan.ops.empty() || plan.ops.back().kind != kConv) throw std::invalid_argument("plan: the last op must be a conv");
  inst.sizes = pool.sizes();
  return inst;
}

// Activation buffers above this stay allocated only during a run: two big plans (an encoder and a decoder at
// 1024²) must not hold their buffers at once, which is what the AdaIN memory estimate assumes. Page-faulting a
// fresh buffer costs ~1 % of such a run.
size_t KeepBytes() {
  static const size_t keep = [] {
    const char* v = std::getenv("NST_PLAN_KEEP_BYTES");
    return v ? size_t(std::strtoull(v, nullptr, 10)) : size_t(256) << 20;
  }();
  return keep;
}

size_t BufferBytes(const Instance& inst) {
  size_t total = 0;
  for (size_t f : inst.sizes) total += f * sizeof(float);
  return total + inst.scratch_bytes;
}

// Allocates the instance's buffers (if they were released) and points every step at them.
void Bind(Instance& inst) {
  if (inst.bound) return;
  inst.bound = true;
  for (size_t f : inst.sizes) inst.buffers.push_back(Allocate(f));
  auto bind = [&](Act& a) {
    if (!a.input && a.buffer >= 0) a.geo.data = inst.buffers[size_t(a.buffer)].get();
  };
  for (Step& s : inst.steps) {
    bind(s.in), bind(s.out), bind(s.res);
  }
  if (inst.scratch_bytes) inst.scratch = Allocate(inst.scratch_bytes / 4 + 1);
}

void Unbind(Instance& inst) {
  inst.bound = false;
  inst.buffers.clear();
  inst.scratch.reset();
}

Instance& InstanceFor(Plan& plan, int64_t n, int64_t h, int64_t w, int64_t c) {
  for (auto it = plan.instances.begin(); it != plan.instances.end(); ++it)
    if (it->n == n && it->h == h && it->w == w && it->c == c) {
      plan.instances.splice(plan.instances.begin(), plan.instances, it);
      return plan.instances.front();
    }
  if (plan.instances.size() >= kInstances) plan.instances.pop_back();  // frees its buffers before the new ones
  plan.instances.push_front(Build(plan, n, h, w, c));
  return plan.instances.front();
}

void Run(Plan& plan, Instance& inst, const float* x, float* y) {
  Bind(inst);
  struct Release {
    Instance& inst;
    ~Release() {
      if (BufferBytes(inst) > KeepBytes()) Unbind(inst);
    }
  } release{inst};
  auto& eng = cpu_engine();
  auto& strm = cpu_stream();
  const float* input = x;
  if (inst.input_pad >= 0) {
    float* padded = inst.buffers[size_t(inst.input_pad)].get();
    ReflectPadNhwc(x, inst.n, inst.h, inst.w, inst.c, inst.input_pad_px, padded);
    input = padded;
  }
  static const bool profile = std::getenv("NST_PLAN_PROFILE") != nullptr;
  for (Step& s : inst.steps) {
    const auto t0 = std::chrono::steady_clock::now();
    const Op& op = plan.ops[size_t(std::max(s.op, 0))];
    switch (s.kind) {
      case kStepUpsample: UpsampleNearest2x(s.in.geo, s.out.geo); break;
      case kStepMaxPool: MaxPool2x2(s.in.geo, s.out.geo); break;
      case kStepCopy: CopyWithHalo(s.in.geo, s.out.geo); break;
      case kStepNorm:
        InstanceNorm(s.in.geo, op.gamma.data(), op.beta.data(), op.eps, op.relu, s.has_res ? &s.res.geo : nullptr,
                     s.out.geo);
        break;
      case kStepNarrow:
        NarrowBlockedForward(s.in.geo, op.k, op.k, op.oc, op.narrow.data(), op.bias.empty() ? nullptr : op.bias.data(), y);
        break;
      case kStepWinograd:
        WinogradForward(s.in.geo, op.winograd, op.relu, s.out.geo);
        FillReflectHalo(s.out.geo);
        break;
      case kStepPadInput: break;
      case kStepConv: {
        dnnl::memory src;
        if (s.from_input) {
          dnnl::memory user(s.src_user_md, eng, const_cast<float*>(input));
          if (s.reorder_src) {
            src = dnnl::memory(s.src_md, eng, inst.buffers[size_t(s.src_stage)].get());
            s.src_reorder.execute(strm, user, src);
          } else {
            src = user;
          }
        } else {
          src = dnnl::memory(s.src_md, eng, s.in.geo.data);
        }
        float* const dst_data = s.reorder_dst ? inst.buffers[size_t(s.dst_stage)].get() : s.to_output ? y : s.out.geo.data;
        dnnl::memory dst(s.dst_md, eng, dst_data);
        dnnl::memory scratch(s.scratch_md, eng, inst.scratch.get());
        s.prim.execute(strm, {{DNNL_ARG_SRC, src},
                              {DNNL_ARG_WEIGHTS, s.wei},
                              {DNNL_ARG_BIAS, s.bias},
                              {DNNL_ARG_DST, dst},
                              {DNNL_ARG_SCRATCHPAD, scratch}});
        if (s.reorder_dst) {
          dnnl::memory out(s.dst_user_md, eng, y);
          s.dst_reorder.execute(strm, dst, out);
        }
        strm.wait();
        if (!s.to_output) FillReflectHalo(s.out.geo);
        break;
      }
    }
    if (profile) {
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "plan step %d kind %d %s %lldx%lldx%lld: %.2f ms\n", s.op, int(s.kind), s.impl.c_str(),
                   (long long)s.in.geo.c, (long long)s.in.geo.h, (long long)s.in.geo.w, ms);
    }
  }
}

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
    if (plan->ops.empty() || plan->ops.back().kind != kConv) throw std::invalid_argument("plan: the last op must be a conv");
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
    Run(plan, inst, x, y);
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
