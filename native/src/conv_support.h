// Plumbing shared by the conv-family kernels (conv, pooling, matmul): a grow-only scratch arena, "staged" operands
// that reorder between tfjs' plain layouts (NHWC activations, HWIO filters) and whatever blocked layout the oneDNN
// primitive prefers, and a primitive cache keyed by shape and attributes.
#pragma once
#include "common.h"
#include <cstdlib>
#include <list>
#include <map>
#include <memory>
#include <sstream>

namespace nst {
namespace convsupport {

using md = dnnl::memory::desc;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
using dims_t = dnnl::memory::dims;

// Kernels run one at a time on the JS thread, so every call can reuse the same few buffers. Each slot holds one role
// within a call (a staged input, a staged output, the primitive's scratchpad...), so roles never alias.
enum Slot {
  kSlotSrc = 0,
  kSlotWeights = 1,
  kSlotDst = 2,
  kSlotScratchpad = 3,
  kSlotWorkspace = 4,
  kSlotCount = 5
};

// A 64-byte aligned buffer of at least `bytes` for `slot`; grows and never shrinks (the largest layer sets the size).
void* Arena(Slot slot, size_t bytes);

// Total bytes the arena holds (diagnostics).
size_t ArenaBytes();

// One operand of a primitive: the user's plain memory and the layout the primitive chose. When they differ, the
// operand goes through an arena buffer and a cached reorder; when they match, the primitive works on the JS buffer.
class Staged {
 public:
  Staged() = default;
  Staged(const md& user, const md& inner, Slot slot, bool is_input);

  // The memory the primitive should read/write for this call. For inputs, runs the reorder into it first.
  dnnl::memory Prepare(void* user_ptr);
  // For outputs: copies the primitive's result back into the user's buffer (no-op when no reorder is needed).
  void Finish(void* user_ptr, dnnl::memory inner_mem);

 private:
  md user_, inner_;
  Slot slot_ = kSlotSrc;
  bool is_input_ = true;
  bool needs_reorder_ = false;
  dnnl::reorder reorder_;
};

// Scratchpad memory for a primitive created with scratchpad_mode::user.
dnnl::memory Scratchpad(const md& desc);

// Primitive attributes every conv-family primitive uses: the scratchpad comes from the arena, not a fresh malloc.
dnnl::primitive_attr UserScratchpadAttr();

// Builds a cache key out of anything streamable.
template <typename... T>
std::string Key(const T&... parts) {
  std::ostringstream s;
  ((s << parts << ','), ...);
  return s.str();
}

inline std::string KeyOf(const std::vector<int64_t>& v) {
  std::ostringstream s;
  for (auto x : v) s << x << ' ';
  return s.str();
}

// A cache of built primitives (building a oneDNN primitive descriptor costs far more than running a small one).
// Bounded, least-recently-used out first: stylizing many image sizes must not grow memory without limit.
template <typename Entry>
class Cache {
 public:
  explicit Cache(size_t capacity = 256) : capacity_(capacity) {}

  template <typename Build>
  Entry& Get(const std::string& key, Build&& build) {
    auto it = map_.find(key);
    if (it != map_.end()) {
      order_.splice(order_.begin(), order_, it->second.position);
      return *it->second.entry;
    }
    auto entry = std::make_unique<Entry>(build());
    if (map_.size() >= capacity_) {
      map_.erase(order_.back());
      order_.pop_back();
    }
    order_.push_front(key);
    auto inserted = map_.emplace(key, Slot{std::move(entry), order_.begin()});
    return *inserted.first->second.entry;
  }
  size_t size() const { return map_.size(); }
  void clear() {
    map_.clear();
    order_.clear();
  }
  template <typename F>
  void ForEach(F&& f) const {
    for (const auto& [key, slot] : map_) f(key, *slot.entry);
  }

 private:
  struct Slot {
    std::unique_ptr<Entry> entry;
    std::list<std::string>::iterator position;
  };
  size_t capacity_;
  std::list<std::string> order_;  // most recently used first
  std::map<std::string, Slot> map_;
};

// Reads an array of integers of an exact length, naming the argument in the error.
std::vector<int64_t> FixedDims(const Napi::Value& v, const char* what, size_t n);

// A Float32Array that must hold exactly `n` elements (catches shape mix-ups before oneDNN reads out of bounds).
float* F32Exact(const Napi::Value& v, const char* what, size_t n);

void InitPool(Napi::Env env, Napi::Object exports);
void InitMatmul(Napi::Env env, Napi::Object exports);

}  // namespace convsupport
}  // namespace nst
