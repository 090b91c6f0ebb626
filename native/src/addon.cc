#include "common.h"
#include <omp.h>

namespace nst {

dnnl::engine& cpu_engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dnnl::stream& cpu_stream() {
  static dnnl::stream s(cpu_engine());
  return s;
}

static Napi::Value Version(const Napi::CallbackInfo& info) {
  const dnnl_version_t* v = dnnl_version();
  return Napi::String::New(info.Env(), "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                                           std::to_string(v->patch) + ", " + std::to_string(omp_get_max_threads()) +
                                           " threads");
}

static Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  omp_set_num_threads(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  InitConv(env, exports);
  InitEltwise(env, exports);
  InitPlan(env, exports);
  InitProcess(env, exports);
  return exports;
}

}  // namespace nst

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return nst::Init(env, exports); }

NODE_API_MODULE(nst_native, InitAddon)
