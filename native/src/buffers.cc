// Output buffers for the kernels' large results: huge-page mappings, reused through a bounded pool.
//
// Why: on the VMs this project runs on, the first touch of a fresh 4 KiB page costs ~2.4 us. V8 allocates each large
// ArrayBuffer with calloc, which glibc serves from a fresh mmap (above its 32 MB limit always), so a kernel writing a
// 33 MB output spent ~20 of its 24 ms faulting pages in and ~4 computing; a training step allocates gigabytes that way.
// Mapped with MADV_HUGEPAGE (transparent huge pages in "madvise" mode, the common default) a fresh buffer faults once
// per 2 MiB; a buffer handed back by the garbage collector and reused does not fault at all.
//
// allocF32(n, zeroed) -> Float32Array of n floats whose memory comes from here; `zeroed` false leaves the contents
// unspecified (for kernels that write every element). The JS side (src/backend/native/output-buffers.ts) asks for it
// only above a size where the saving is real. The finalizer, which Node runs on the JS thread once the array is
// collected, returns the mapping to the pool (up to NST_BUFFER_POOL_BYTES, default 1 GiB) or unmaps it.
// bufferPoolInfo() -> { pooledBytes, capBytes, hits, misses, mapped } for tests and benches.
//
// execWithEnv(name, value) replaces the process image with itself (same pid, argv, fds) with one more environment
// variable: glibc reads GLIBC_TUNABLES (glibc.malloc.hugetlb=1 puts every malloc'd mapping, tfjs' own arrays included,
// on huge pages) only when a process starts. Returns only on failure, with the errno text.
#include "common.h"
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <fstream>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

namespace nst {
namespace {

constexpr size_t kHuge = size_t(2) << 20;

struct Mapping {
  void* base;    // what mmap returned (munmap takes it back)
  size_t total;  // bytes mapped
  float* data;   // 2 MiB aligned inside it
  size_t bytes;  // usable bytes from data on (a multiple of 2 MiB): the pool's size class
};

struct Pool {
  std::mutex mu;
  std::multimap<size_t, Mapping> free;  // by usable bytes
  size_t pooled = 0;
  double hits = 0, misses = 0, mapped = 0;
  size_t cap = [] {
    const char* v = std::getenv("NST_BUFFER_POOL_BYTES");
    return v ? size_t(std::strtoull(v, nullptr, 10)) : size_t(1) << 30;
  }();
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: finalizers may run during teardown
  return *p;
}

Mapping MapFresh(size_t bytes) {
  const size_t total = bytes + kHuge;  // room to align the start to a huge page
  void* base = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t aligned = (uintptr_t(base) + kHuge - 1) & ~uintptr_t(kHuge - 1);
  madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);  // advice only: failure leaves 4 KiB pages
  return {base, total, reinterpret_cast<float*>(aligned), bytes};
}

// A mapping of at least `bytes` (rounded up to 2 MiB): a pooled one of that class when there is one.
Mapping Take(size_t bytes, bool* fresh) {
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> lock(p.mu);
    auto it = p.free.find(bytes);
    if (it != p.free.end()) {
      Mapping m = it->second;
      p.free.erase(it);
      p.pooled -= m.bytes;
      p.hits++;
      *fresh = false;
      return m;
    }
    p.misses++;
    p.mapped++;
  }
  *fresh = true;
  return MapFresh(bytes);
}

void Give(const Mapping& m) {
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> lock(p.mu);
    if (p.pooled + m.bytes <= p.cap) {
      p.free.emplace(m.bytes, m);
      p.pooled += m.bytes;
      return;
    }
    p.mapped--;
  }
  munmap(m.base, m.total);
}

Napi::Value AllocF32(const Napi::CallbackInfo& info) {
  return guarded(info, "allocF32", [&]() -> Napi::Value {
    const int64_t n = info[0].As<Napi::Number>().Int64Value();
    const bool zeroed = info.Length() > 1 && info[1].ToBoolean().Value();
    if (n < 1) throw std::invalid_argument("n must be positive");
    const size_t bytes = (size_t(n) * sizeof(float) + kHuge - 1) & ~(kHuge - 1);
    bool fresh = false;
    Mapping m = Take(bytes, &fresh);
    if (zeroed && !fresh) std::memset(m.data, 0, size_t(n) * sizeof(float));  // fresh anonymous memory is zero
    auto* owned = new Mapping(m);
    auto ab = Napi::ArrayBuffer::New(info.Env(), m.data, size_t(n) * sizeof(float), [](Napi::Env, void*, Mapping* mm) {
      Give(*mm);
      delete mm;
    }, owned);
    return Napi::Float32Array::New(info.Env(), size_t(n), ab, 0);
  });
}

Napi::Value BufferPoolInfo(const Napi::CallbackInfo& info) {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  auto o = Napi::Object::New(info.Env());
  o.Set("pooledBytes", double(p.pooled));
  o.Set("capBytes", double(p.cap));
  o.Set("hits", p.hits);
  o.Set("misses", p.misses);
  o.Set("mapped", p.mapped);
  return o;
}

extern "C" char** environ;

Napi::Value ExecWithEnv(const Napi::CallbackInfo& info) {
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  const std::string value = info[1].As<Napi::String>().Utf8Value();
  // argv as the kernel started us (NUL-separated), so node's own flags survive.
  std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (size_t start = 0; start < all.size();) {
    const size_t end = all.find('\0', start);
    args.push_back(all.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  std::vector<std::string> env;
  const std::string prefix = name + "=";
  for (char** e = environ; *e; e++)
    if (std::strncmp(*e, prefix.c_str(), prefix.size()) != 0) env.emplace_back(*e);
  env.push_back(prefix + value);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  for (auto& e : env) envp.push_back(e.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  if (args.empty()) return Napi::String::New(info.Env(), "cannot read /proc/self/cmdline");
  // stdio must survive the exec even when whoever started us opened it close-on-exec (some supervisors do).
  for (int fd = 0; fd <= 2; fd++) {
    const int flags = fcntl(fd, F_GETFD);
    if (flags >= 0) fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
  }
  execve("/proc/self/exe", argv.data(), envp.data());
  return Napi::String::New(info.Env(), std::strerror(errno));
}

}  // namespace

void InitBuffers(Napi::Env env, Napi::Object exports) {
  exports.Set("allocF32", Napi::Function::New(env, AllocF32));
  exports.Set("bufferPoolInfo", Napi::Function::New(env, BufferPoolInfo));
  exports.Set("execWithEnv", Napi::Function::New(env, ExecWithEnv));
}

}  // namespace nst
