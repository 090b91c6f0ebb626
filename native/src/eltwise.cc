#include "common.h"

namespace nst {

void InitEltwise(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace nst
