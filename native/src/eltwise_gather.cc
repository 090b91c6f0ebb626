// Rank-4 gathers and scatter-adds driven by one index map per axis. Mirror padding and nearest-neighbour resizing are
// both "output coordinate i along axis k reads input coordinate map_k[i]", and their gradients are the matching
// scatter-add. The maps are computed in TS with exactly tfjs' arithmetic (rounding, alignCorners, halfPixelCenters,
// reflect/symmetric offsets), so this file only moves data and cannot drift from tfjs' semantics.
//
//   gather4F32(x, xShape, [mapN, mapH, mapW, mapC], out)        out[n,h,w,c] = x[mapN[n], mapH[h], mapW[w], mapC[c]]
//   scatterAdd4F32(dy, dyShape, [mapN..mapC], dx, dxShape)      dx[map(i)] += dy[i] for all i; dx is overwritten
//
// Every map entry is range-checked before any data moves. Work is split by rows (n, h) of the written tensor, so the
// scatter needs no atomics: each dx row is owned by one thread, which pulls in the dy rows that land on it.
#include "eltwise_ops.h"
#include <cstring>

namespace nst {
namespace {

using eltwise::F32Exact;
using eltwise::ParallelMin;
using eltwise::Volume;

struct AxisMap {
  const int32_t* idx;
  int64_t len;     // coordinates along the axis being enumerated
  int64_t target;  // size of the axis the entries point into
  bool identity;   // idx[i] == i everywhere: rows can be copied whole
};

std::vector<int64_t> Shape4(const Napi::Value& v, const char* what) {
  auto s = dims(v, what);
  if (s.size() != 4) throw std::invalid_argument(std::string(what) + " must have rank 4");
  Volume(s);
  return s;
}

Napi::Array MapArray(const Napi::Value& v) {
  if (!v.IsArray() || v.As<Napi::Array>().Length() != 4) throw std::invalid_argument("maps must be 4 Int32Arrays");
  return v.As<Napi::Array>();
}

std::vector<int64_t> MapLengths(const Napi::Value& v) {
  auto arr = MapArray(v);
  std::vector<int64_t> lens(4);
  for (uint32_t k = 0; k < 4; k++) {
    size_t len = 0;
    i32(arr.Get(k), "map", &len);
    lens[k] = int64_t(len);
  }
  return lens;
}

// maps[k] has one entry per coordinate of `enumerated[k]`, each in [0, target[k]).
std::vector<AxisMap> ReadMaps(const Napi::Value& v, const std::vector<int64_t>& enumerated,
                              const std::vector<int64_t>& target) {
  auto arr = MapArray(v);
  std::vector<AxisMap> maps(4);
  for (uint32_t k = 0; k < 4; k++) {
    size_t len = 0;
    const int32_t* idx = i32(arr.Get(k), "map", &len);
    if (int64_t(len) != enumerated[k]) throw std::invalid_argument("map " + std::to_string(k) + " has the wrong length");
    bool identity = enumerated[k] == target[k];
    for (size_t i = 0; i < len; i++) {
      if (idx[i] < 0 || idx[i] >= target[k]) throw std::out_of_range("map " + std::to_string(k) + " leaves the tensor");
      identity = identity && idx[i] == int32_t(i);
    }
    maps[k] = {idx, int64_t(len), target[k], identity};
  }
  return maps;
}

// A stretch of the W map where both sides advance by one: enumerated w in [from, from+len) <-> target [to, to+len).
// With the channel map the identity, a whole run moves as one contiguous block (mirror padding's interior is a single
// run), instead of one channel vector per pixel.
struct Run {
  int64_t from, to, len;
};

std::vector<Run> Runs(const AxisMap& m) {
  std::vector<Run> runs;
  for (int64_t i = 0; i < m.len; i++) {
    if (!runs.empty() && runs.back().to + runs.back().len == m.idx[i]) {
      runs.back().len++;
    } else {
      runs.push_back({i, int64_t(m.idx[i]), 1});
    }
  }
  return runs;
}

// Kept out of line with restrict-qualified pointers so the loop vectorizes (inside an OpenMP region it did not).
__attribute__((noinline)) void AddRow(float* __restrict d, const float* __restrict s, int64_t n) {
  for (int64_t i = 0; i < n; i++) d[i] += s[i];
}

Napi::Value Gather4F32(const Napi::CallbackInfo& info) {
  return guarded(info, "gather4F32", [&]() -> Napi::Value {
    auto xs = Shape4(info[1], "xShape");
    const float* x = F32Exact(info[0], "x", Volume(xs));
    auto os = MapLengths(info[2]);  // the output has one coordinate per map entry
    auto maps = ReadMaps(info[2], os, xs);
    float* out = F32Exact(info[3], "out", Volume(os));
    const int64_t rows = os[0] * os[1], ow = os[2], oc = os[3], xw = xs[2], xc = xs[3];
    const auto runs = Runs(maps[2]);
#pragma omp parallel for schedule(static) if (Volume(os) >= ParallelMin())
    for (int64_t row = 0; row < rows; row++) {
      const int64_t n = row / os[1], h = row % os[1];
      const float* src = x + (int64_t(maps[0].idx[n]) * xs[1] + maps[1].idx[h]) * xw * xc;
      float* dst = out + row * ow * oc;
      if (maps[3].identity) {
        for (const Run& r : runs) std::memcpy(dst + r.from * oc, src + r.to * xc, size_t(r.len * oc) * sizeof(float));
        continue;
      }
      for (int64_t w = 0; w < ow; w++) {
        const float* s = src + int64_t(maps[2].idx[w]) * xc;
        float* d = dst + w * oc;
        for (int64_t c = 0; c < oc; c++) d[c] = s[maps[3].idx[c]];
      }
    }
    return info.Env().Undefined();
  });
}

// For each target coordinate, the enumerated coordinates that map onto it (CSR: sources[begin[t] .. begin[t+1])).
struct Inverse {
  std::vector<int64_t> begin, sources;
  explicit Inverse(const AxisMap& m) : begin(size_t(m.target) + 1, 0), sources(size_t(m.len)) {
    for (int64_t i = 0; i < m.len; i++) begin[size_t(m.idx[i]) + 1]++;
    for (int64_t t = 0; t < m.target; t++) begin[size_t(t) + 1] += begin[size_t(t)];
    std::vector<int64_t> fill(begin.begin(), begin.end() - 1);
    for (int64_t i = 0; i < m.len; i++) sources[size_t(fill[size_t(m.idx[i])]++)] = i;
  }
};

Napi::Value ScatterAdd4F32(const Napi::CallbackInfo& info) {
  return guarded(info, "scatterAdd4F32", [&]() -> Napi::Value {
    auto ys = Shape4(info[1], "dyShape");
    auto xs = Shape4(info[4], "dxShape");
    const float* dy = F32Exact(info[0], "dy", Volume(ys));
    auto maps = ReadMaps(info[2], ys, xs);
    float* dx = F32Exact(info[3], "dx", Volume(xs));
    const Inverse inv_n(maps[0]), inv_h(maps[1]);
    const int64_t rows = xs[0] * xs[1], yw = ys[2], yc = ys[3], xc = xs[3];
    const auto runs = Runs(maps[2]);
#pragma omp parallel for schedule(static) if (Volume(ys) + Volume(xs) >= ParallelMin())
    for (int64_t row = 0; row < rows; row++) {
      const int64_t n = row / xs[1], h = row % xs[1];
      float* dst = dx + row * xs[2] * xc;
      std::memset(dst, 0, size_t(xs[2] * xc) * sizeof(float));
      for (int64_t a = inv_n.begin[size_t(n)]; a < inv_n.begin[size_t(n) + 1]; a++) {
        for (int64_t b = inv_h.begin[size_t(h)]; b < inv_h.begin[size_t(h) + 1]; b++) {
          const float* src = dy + (inv_n.sources[size_t(a)] * ys[1] + inv_h.sources[size_t(b)]) * yw * yc;
          if (maps[3].identity) {
            for (const Run& r : runs) AddRow(dst + r.to * xc, src + r.from * yc, r.len * yc);
            continue;
          }
          for (int64_t w = 0; w < yw; w++) {
            const float* s = src + w * yc;
            float* d = dst + int64_t(maps[2].idx[w]) * xc;
            for (int64_t c = 0; c < yc; c++) d[maps[3].idx[c]] += s[c];
          }
        }
      }
    }
    return info.Env().Undefined();
  });
}

}  // namespace

void InitEltwiseGather(Napi::Env env, Napi::Object exports) {
  exports.Set("gather4F32", Napi::Function::New(env, Gather4F32));
  exports.Set("scatterAdd4F32", Napi::Function::New(env, ScatterAdd4F32));
}

}  // namespace nst
