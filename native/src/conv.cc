#include "common.h"

namespace nst {

void InitConv(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace nst
