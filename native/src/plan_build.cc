// Laying out a plan instance (plan_types.h): for each op, the step that runs it, the primitive oneDNN has for it (or
// our Winograd / narrow-output kernels), the layout and halo of every activation, and which pooled buffer holds it.
#include "plan_types.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace nst {
namespace plan {

namespace {

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
// Activations at least this wide stay in the blocked layout at a plan's ends too (converted once, in and out); an
// image's 3 channels and the output's RGB do not.
constexpr int64_t kWideChannels = 16;

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

}  // namespace

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
  // A plan starting mid-network (a norm, an upsampling) needs its input blocked; so does one starting with a conv on a
  // wide input (an activation, not an image: the AdaIN decoder, the exact tile passes' segments), whose conv then runs
  // like every other — Winograd where there is one — instead of oneDNN's NHWC kernel (brgconv, 66 ms against 38 ms
  // for a 128-channel 190×252 map, AMD EPYC AVX-512). An image's 3 channels stay NHWC: blocking them would pad 3 to 16.
  if (!plan.ops.empty() && (plan.ops[0].kind != kConv || plan.ops[0].ic >= kWideChannels)) {
    Step s(kStepFromNhwc);
    s.out = blocked(c, h, w, HaloFor(plan, 0));
    cur = s.out;
    inst.steps.push_back(std::move(s));
  }

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
          // A wide last output (a segment ending at a norm's input) is written blocked and reordered to NHWC: for
          // the tile passes' 9×9 3→32 conv oneDNN's NHWC-output kernel took 187 ms where the blocked one took 55.
          const md nhwc_out(dst_dims, dt::f32, tag::nhwc), blocked_out(dst_dims, dt::f32, BlockedTag(L));
          md dst = last && op.oc < kWideChannels ? nhwc_out : blocked_out;
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
          if (last && dst == nhwc_out && IsReference(*chosen)) {
            auto pd = ChooseConv(op, srcs, blocked_out, zero_pad, wino);
            if (!IsReference(pd)) {
              dst = blocked_out;
              chosen = std::make_unique<dnnl::convolution_forward::primitive_desc>(pd);
            }
          }
          if (last && dst == blocked_out) {
            s.reorder_dst = true;
            s.dst_user_md = nhwc_out;
            s.dst_reorder = dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), blocked_out, cpu_engine(), nhwc_out));
            s.dst_stage = pool.Take((blocked_out.get_size() + 3) / 4);
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
  if (plan.ops.empty() || plan.ops.back().kind == kMark) throw std::invalid_argument("plan: no op, or a 'mark' last");
  if (plan.ops.back().kind != kConv) {
    Step s(kStepToNhwc);
    s.in = cur;
    inst.oh = cur.geo.h, inst.ow = cur.geo.w, inst.oc = cur.geo.c;
    release(cur);
    inst.steps.push_back(std::move(s));
  }
  inst.sizes = pool.sizes();
  return inst;
}

}  // namespace plan
}  // namespace nst
