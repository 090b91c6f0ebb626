// execWithEnv(name, value) replaces the process image with itself (same pid, argv, fds) with one more environment
// variable. It exists for GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (src/backend/native/huge-pages.ts), which glibc reads
// only when a process starts: with it, glibc advises transparent huge pages for its mappings, and on the VMs this
// project runs on a fresh 4 KiB page costs ~2.4 us to fault in (a 33 MB kernel output: 20 ms of faults for 4 ms of
// work). Returns only on failure, with the errno text.
//
// (A pool of huge-page output buffers handed back by the garbage collector was tried and dropped: Node runs external
// ArrayBuffers' finalizers only when the event loop turns, so a synchronous training loop never gave memory back and
// grew to 24 GB.)
#include "common.h"
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace nst {
namespace {

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

void InitProcess(Napi::Env env, Napi::Object exports) {
  exports.Set("execWithEnv", Napi::Function::New(env, ExecWithEnv));
}

}  // namespace nst
