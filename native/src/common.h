// Shared by every kernel file: the oneDNN engine and stream (one per process), helpers to read typed arrays
// from JS without copying, and the error convention (a C++ exception becomes a JS Error naming the kernel).
#pragma once
#include <napi.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace nst {

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();

// A float32 view of a JS Float32Array (no copy). Throws a JS TypeError on anything else.
inline float* f32(const Napi::Value& v, const char* what, size_t* len = nullptr) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a Float32Array");
  }
  auto a = v.As<Napi::Float32Array>();
  if (len) *len = a.ElementLength();
  return a.Data();
}

inline int32_t* i32(const Napi::Value& v, const char* what, size_t* len = nullptr) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an Int32Array");
  }
  auto a = v.As<Napi::Int32Array>();
  if (len) *len = a.ElementLength();
  return a.Data();
}

inline std::vector<int64_t> dims(const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an array of integers");
  auto a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

// oneDNN 2.6 offers two AVX-512 Winograd convs and on some CPUs lists F(2×2, 3×3) (`jit_fp32_wino_2x3`) first: on a
// Sapphire Rapids Xeon that made the transformer's 256² pass 69 ms against 54 ms with F(4×4, 3×3) (`jit_wino_4x3`),
// and 512² 274 against 207 ms. So a Winograd primitive descriptor moves on to 4×3 whenever oneDNN has it for the
// same descriptor; anything else is returned as it is.
template <typename PD>
PD PreferWinograd4x3(const PD& pd) {
  const auto is_4x3 = [](const PD& p) { return std::string(p.impl_info_str()).find("wino_4x3") != std::string::npos; };
  if (std::string(pd.impl_info_str()).find("wino") == std::string::npos || is_4x3(pd)) return pd;
  PD probe = pd;
  while (probe.next_impl())
    if (is_4x3(probe)) return probe;
  return pd;
}

// Runs a kernel body, turning oneDNN and std exceptions into JS errors that name the kernel.
template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, const char* name, F&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const dnnl::error& e) {
    throw Napi::Error::New(info.Env(), std::string(name) + ": oneDNN error " + std::to_string(e.status) + ": " + e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string(name) + ": " + e.what());
  }
}

void InitConv(Napi::Env env, Napi::Object exports);
void InitEltwise(Napi::Env env, Napi::Object exports);
void InitPlan(Napi::Env env, Napi::Object exports);
void InitProcess(Napi::Env env, Napi::Object exports);

}  // namespace nst
