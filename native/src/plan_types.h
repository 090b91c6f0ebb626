// The whole-network inference plan's data (see plan.cc for what a plan is and its JS interface): the ops a plan is
// created from, and per input size an instance of steps over pooled blocked buffers. plan_build.cc lays an instance
// out, plan_run.cc runs it, plan.cc binds both to JS.
#pragma once
#include "common.h"
#include "plan_kernels.h"
#include "winograd.h"

#include <cstdlib>
#include <list>
#include <memory>
#include <string>
#include <vector>

namespace nst {
namespace plan {

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
// A 64-byte aligned buffer and how many floats it holds (at least what was asked for).
struct Buffer {
  std::unique_ptr<float, AlignedFree> data;
  size_t floats = 0;
  float* get() const { return data.get(); }
};

// A byte count from the environment variable `name` (e.g. NST_PLAN_KEEP_BYTES), else `fallback`.
inline size_t EnvBytes(const char* name, size_t fallback) {
  const char* v = std::getenv(name);
  return v ? size_t(std::strtoull(v, nullptr, 10)) : fallback;
}

// A fresh 64-byte aligned buffer of at least `floats` floats (plan_buffers.cc).
Buffer Allocate(size_t floats);

// One buffer per entry of `floats`, recycled from what earlier runs gave back where one fits, else fresh; the idle
// buffers left unused are freed. GiveBuffers hands a run's buffers back (and empties `buffers`).
std::vector<Buffer> TakeBuffers(const std::vector<size_t>& floats);
void GiveBuffers(std::vector<Buffer>& buffers);

// An activation during instance building: blocked (buffer id + geometry) or the NHWC network input.
struct Act {
  bool input = false;
  int buffer = -1;
  Blocked geo;
};

// kStepFromNhwc / kStepToNhwc: the input into a blocked buffer when the first op is not a conv (a plan that starts
// mid-network, at a norm or a residual block's mark), and the output out of one when the last op is not a conv.
enum StepKind {
  kStepConv,
  kStepNarrow,
  kStepWinograd,
  kStepNorm,
  kStepUpsample,
  kStepCopy,
  kStepPadInput,
  kStepMaxPool,
  kStepFromNhwc,
  kStepToNhwc
};

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

  Instance() = default;
  Instance(Instance&&) = default;
  Instance& operator=(Instance&&) = default;
  // Gives the buffers back to the idle ones (plan_buffers.cc) instead of freeing them: the exact tile statistics
  // release one segment's plan per pass and build the next, whose buffers are then taken already faulted in.
  ~Instance();
};

struct Plan {
  std::vector<Op> ops;
  int64_t lanes = 16;
  std::list<Instance> instances;  // most recent first, at most kInstances
};
constexpr size_t kInstances = 2;

inline dnnl::memory::format_tag BlockedTag(int64_t lanes) {
  return lanes == 16 ? dnnl::memory::format_tag::nChw16c : dnnl::memory::format_tag::nChw8c;
}

// Lays out the steps, primitives and buffer sizes for an n×h×w×c input (buffers are allocated by the first run).
Instance Build(Plan& plan, int64_t n, int64_t h, int64_t w, int64_t c);

// The instance for this input shape, built on first use; the plan keeps the kInstances most recent.
Instance& InstanceFor(Plan& plan, int64_t n, int64_t h, int64_t w, int64_t c);

// Runs the network on the NHWC input x into the NHWC output y. `frozen`, when given, has one entry per op: a norm op
// with a non-empty entry normalises with those statistics instead of its input's own.
void Run(Plan& plan, Instance& inst, const float* x, float* y, const std::vector<FrozenStats>* frozen = nullptr);

// Bytes of the instance's activation buffers and scratchpad.
size_t BufferBytes(const Instance& inst);

}  // namespace plan
}  // namespace nst
