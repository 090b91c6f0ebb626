#include "conv_support.h"

namespace nst {
namespace convsupport {

namespace {
struct ArenaSlot {
  void* ptr = nullptr;
  size_t bytes = 0;
};
ArenaSlot g_arena[kSlotCount];
}  // namespace

void* Arena(Slot slot, size_t bytes) {
  ArenaSlot& s = g_arena[slot];
  if (bytes > s.bytes) {
    std::free(s.ptr);
    // aligned_alloc wants a multiple of the alignment; round up and keep some headroom against many small regrowths.
    size_t want = ((bytes + bytes / 8 + 63) / 64) * 64;
    s.ptr = std::aligned_alloc(64, want);
    if (!s.ptr) {
      s.bytes = 0;
      throw std::runtime_error("out of memory allocating " + std::to_string(want) + " bytes of scratch");
    }
    s.bytes = want;
  }
  return s.ptr;
}

size_t ArenaBytes() {
  size_t total = 0;
  for (const auto& s : g_arena) total += s.bytes;
  return total;
}

Staged::Staged(const md& user, const md& inner, Slot slot, bool is_input)
    : user_(user), inner_(inner), slot_(slot), is_input_(is_input), needs_reorder_(user != inner) {
  if (!needs_reorder_) return;
  auto& eng = cpu_engine();
  reorder_ = is_input ? dnnl::reorder(dnnl::reorder::primitive_desc(eng, user_, eng, inner_))
                      : dnnl::reorder(dnnl::reorder::primitive_desc(eng, inner_, eng, user_));
}

dnnl::memory Staged::Prepare(void* user_ptr) {
  auto& eng = cpu_engine();
  if (!needs_reorder_) return dnnl::memory(user_, eng, user_ptr);
  dnnl::memory inner(inner_, eng, Arena(slot_, inner_.get_size()));
  if (is_input_) {
    dnnl::memory user(user_, eng, user_ptr);
    reorder_.execute(cpu_stream(), user, inner);
  }
  return inner;
}

void Staged::Finish(void* user_ptr, dnnl::memory inner_mem) {
  if (!needs_reorder_ || is_input_) return;
  dnnl::memory user(user_, cpu_engine(), user_ptr);
  reorder_.execute(cpu_stream(), inner_mem, user);
}

dnnl::memory Scratchpad(const md& desc) {
  return dnnl::memory(desc, cpu_engine(), desc.get_size() ? Arena(kSlotScratchpad, desc.get_size()) : nullptr);
}

dnnl::primitive_attr UserScratchpadAttr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

std::vector<int64_t> FixedDims(const Napi::Value& v, const char* what, size_t n) {
  auto d = dims(v, what);
  if (d.size() != n) {
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must have " + std::to_string(n) + " integers, got " +
                                            std::to_string(d.size()));
  }
  return d;
}

float* F32Exact(const Napi::Value& v, const char* what, size_t n) {
  size_t len = 0;
  float* p = f32(v, what, &len);
  if (len != n) {
    throw Napi::RangeError::New(v.Env(), std::string(what) + " has " + std::to_string(len) + " elements, expected " +
                                             std::to_string(n));
  }
  return p;
}

}  // namespace convsupport
}  // namespace nst
