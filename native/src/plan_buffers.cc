// Activation buffers of plan instances (plan_types.h): fresh ones, and the ones large instances give back after each
// run, kept idle for the next run of any plan to take.
//
// Why keep them: on the VMs this project runs on, faulting in a fresh page costs ~2.4 us per 4 KiB (process.cc), and
// where that cost varies (an AMD EPYC, 2026-12-04) a 1024² AdaIN decoder spent half its run faulting in the buffers it
// had freed after the previous image (a 64-channel upsample: 18 ms on warm pages, 290 ms on fresh ones). Why that
// stays bounded: a run takes what fits from the idle buffers and frees the rest before it starts, so only one run's
// buffers are ever held at once — an encoder and a decoder plan still never hold theirs together — and at most
// NST_PLAN_IDLE_BYTES (default 2 GiB) idle between runs.
#include "plan_types.h"

#include <algorithm>
#include <limits>
#include <mutex>
#include <sys/mman.h>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

namespace nst {
namespace plan {

namespace {

size_t IdleLimitBytes() {
  static const size_t limit = EnvBytes("NST_PLAN_IDLE_BYTES", size_t(2) << 30);
  return limit;
}

// Tests set this so that a step reading a buffer (fresh or recycled) before writing it shows up as NaN in the output.
bool PoisonBuffers() {
  static const bool poison = std::getenv("NST_PLAN_POISON_BUFFERS") != nullptr;
  return poison;
}

std::mutex idle_mutex;
std::vector<Buffer> idle;  // oldest first; plan functions may be called from worker threads

size_t Bytes(const Buffer& b) { return b.floats * sizeof(float); }

}  // namespace

// Buffers above this get headroom: the windows of a tiled pass differ by a few pixels (its last row and column, the
// image border), and a window one cell larger than the idle buffers would otherwise fault in a fresh set every time
// (on a 2000×1500 exact-statistics run, a fifth of all CPU time went to the kernel zeroing fresh pages).
constexpr size_t kHeadroomFromBytes = size_t(4) << 20;

Buffer Allocate(size_t floats) {
  size_t bytes = floats * sizeof(float);
  if (bytes >= kHeadroomFromBytes) bytes += bytes / 8;
  bytes = ((bytes + 63) / 64) * 64;
  auto* p = static_cast<float*>(std::aligned_alloc(64, bytes ? bytes : 64));
  if (!p) throw std::runtime_error("out of memory allocating " + std::to_string(bytes) + " bytes for the plan");
  // Large buffers on 4 KiB pages even when the process advises huge pages (src/backend/native/huge-pages.ts): they are
  // kept and reused, so their faults are paid once, while fresh huge pages on the Firecracker VMs this project runs on
  // (free page reporting hands freed 8 MB blocks back to the host) cost 0.1–9 s per GiB from one run to the next
  // against a steady 0.4 s on small pages; 2000×1500 exact runs took 8.6–10.9 s with them, 6.6–7.3 s in three of four
  // runs without (2026-12-04). (Linux only: elsewhere there is no such advice to give.)
#ifdef MADV_NOHUGEPAGE
  if (bytes >= kHeadroomFromBytes) {
    const uintptr_t page = 4096, start = (reinterpret_cast<uintptr_t>(p) + page - 1) & ~(page - 1);
    const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(page - 1);
    if (end > start) madvise(reinterpret_cast<void*>(start), end - start, MADV_NOHUGEPAGE);
  }
#endif
  Buffer b;
  b.data.reset(p);
  b.floats = bytes / sizeof(float);
  return b;
}

std::vector<Buffer> TakeBuffers(const std::vector<size_t>& floats) {
  std::vector<Buffer> taken(floats.size());
  {
    std::lock_guard<std::mutex> lock(idle_mutex);
    // Largest requests first, each the smallest idle buffer that holds it without doubling it.
    std::vector<size_t> order(floats.size());
    for (size_t i = 0; i < order.size(); i++) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return floats[a] > floats[b]; });
    for (size_t i : order) {
      size_t best = idle.size();
      for (size_t j = 0; j < idle.size(); j++) {
        const size_t have = idle[j].floats;
        if (have >= floats[i] && have <= 2 * floats[i] + 4096 && (best == idle.size() || have < idle[best].floats)) best = j;
      }
      if (best == idle.size()) continue;
      taken[i] = std::move(idle[best]);
      idle.erase(idle.begin() + std::ptrdiff_t(best));
    }
    idle.clear();  // of no use to this run: freed before its new buffers are faulted in
  }
  for (Buffer& b : taken) {
    if (!b.get()) b = Allocate(floats[size_t(&b - taken.data())]);
    if (PoisonBuffers()) std::fill_n(b.get(), b.floats, std::numeric_limits<float>::quiet_NaN());
  }
  return taken;
}

void GiveBuffers(std::vector<Buffer>& buffers) {
  std::lock_guard<std::mutex> lock(idle_mutex);
  for (Buffer& b : buffers)
    if (b.get()) idle.push_back(std::move(b));
  buffers.clear();
  size_t total = 0;
  for (const Buffer& b : idle) total += Bytes(b);
  while (!idle.empty() && total > IdleLimitBytes()) {
    total -= Bytes(idle.front());
    idle.erase(idle.begin());
  }
}

}  // namespace plan
}  // namespace nst
