// Entry point of the non-convolution kernels; each family lives in its own file (see eltwise_ops.h).
#include "eltwise_ops.h"

#include <atomic>

namespace nst {

namespace eltwise {

static std::atomic<int64_t> parallel_min{kDefaultParallelMin};

int64_t ParallelMin() { return parallel_min.load(std::memory_order_relaxed); }

}  // namespace eltwise

// setEltwiseParallelMin(n) -> previous: tensors of at least n elements use the OpenMP team (n <= 0: the default).
static Napi::Value SetEltwiseParallelMin(const Napi::CallbackInfo& info) {
  int64_t n = info[0].As<Napi::Number>().Int64Value();
  int64_t previous = eltwise::parallel_min.exchange(n > 0 ? n : eltwise::kDefaultParallelMin);
  return Napi::Number::New(info.Env(), double(previous));
}

void InitEltwise(Napi::Env env, Napi::Object exports) {
  exports.Set("setEltwiseParallelMin", Napi::Function::New(env, SetEltwiseParallelMin));
  InitEltwiseBinary(env, exports);
  InitEltwiseReduce(env, exports);
  InitEltwiseGather(env, exports);
  InitNorm(env, exports);
}

}  // namespace nst
