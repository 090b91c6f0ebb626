// Running a plan instance (plan_types.h): buffers bound on demand (and released after the run for large instances),
// then each step in order; NST_PLAN_PROFILE=1 prints every step's time.
#include "plan_types.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace nst {
namespace plan {

namespace {

// Activation buffers above this stay allocated only during a run: two big plans (an encoder and a decoder at
// 1024²) must not hold their buffers at once, which is what the AdaIN memory estimate assumes. They go back to the
// idle buffers (plan_buffers.cc), so the next run of either plan takes them already faulted in.
size_t KeepBytes() {
  static const size_t keep = EnvBytes("NST_PLAN_KEEP_BYTES", size_t(256) << 20);
  return keep;
}

// Allocates the instance's buffers (if they were released) and points every step at them.
void Bind(Instance& inst) {
  if (inst.bound) return;
  inst.bound = true;
  std::vector<size_t> floats = inst.sizes;
  if (inst.scratch_bytes) floats.push_back(inst.scratch_bytes / 4 + 1);
  inst.buffers = TakeBuffers(floats);
  if (inst.scratch_bytes) {
    inst.scratch = std::move(inst.buffers.back());
    inst.buffers.pop_back();
  }
  auto bind = [&](Act& a) {
    if (!a.input && a.buffer >= 0) a.geo.data = inst.buffers[size_t(a.buffer)].get();
  };
  for (Step& s : inst.steps) {
    bind(s.in), bind(s.out), bind(s.res);
  }
}

void Unbind(Instance& inst) {
  inst.bound = false;
  inst.buffers.push_back(std::move(inst.scratch));
  inst.scratch = Buffer();
  GiveBuffers(inst.buffers);
}

}  // namespace

Instance::~Instance() {
  if (scratch.get()) buffers.push_back(std::move(scratch));
  if (!buffers.empty()) GiveBuffers(buffers);
}

size_t BufferBytes(const Instance& inst) {
  size_t total = 0;
  for (size_t f : inst.sizes) total += f * sizeof(float);
  return total + inst.scratch_bytes;
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

void Run(Plan& plan, Instance& inst, const float* x, float* y, const std::vector<FrozenStats>* frozen) {
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
                     s.out.geo, frozen && !(*frozen)[size_t(s.op)].empty() ? &(*frozen)[size_t(s.op)] : nullptr);
        break;
      case kStepNarrow:
        NarrowBlockedForward(s.in.geo, op.k, op.k, op.oc, op.narrow.data(), op.bias.empty() ? nullptr : op.bias.data(), y);
        break;
      case kStepWinograd:
        WinogradForward(s.in.geo, op.winograd, op.relu, s.out.geo);
        FillReflectHalo(s.out.geo);
        break;
      case kStepPadInput: break;
      case kStepFromNhwc: NhwcToBlocked(x, s.out.geo); break;
      case kStepToNhwc: BlockedToNhwc(s.in.geo, y); break;
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

}  // namespace plan
}  // namespace nst
