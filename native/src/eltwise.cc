// Entry point of the non-convolution kernels; each family lives in its own file (see eltwise_ops.h).
#include "eltwise_ops.h"

namespace nst {

void InitEltwise(Napi::Env env, Napi::Object exports) {
  InitEltwiseBinary(env, exports);
  InitEltwiseReduce(env, exports);
  InitEltwiseGather(env, exports);
  InitNorm(env, exports);
}

}  // namespace nst
