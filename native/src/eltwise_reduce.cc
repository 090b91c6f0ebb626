// Sum and Mean of float32 tensors over a set of axes, accumulating in double as tfjs' JS kernel does.
//
// Axes of size 1 are dropped and neighbouring axes that are both kept or both reduced are merged, so any request becomes
// [outer kept, reduced, inner kept]. That covers every reduction the nets make (all axes, the H,W of NHWC, all but C).
// Requests that still interleave (e.g. reduce axes 0 and 2 of a rank-3 tensor) are declined: reduceF32 returns false and
// the caller runs the JS kernel.
#include "eltwise_ops.h"
#include <omp.h>
#include <algorithm>

namespace nst {
namespace {

using eltwise::F32Exact;
using eltwise::ParallelMin;
using eltwise::Volume;

// Sum of a contiguous run in double. Eight independent partial sums break the add-latency chain (and let the compiler
// vectorize) without -ffast-math; they combine pairwise at the end.
inline double SumRun(const float* x, int64_t n) {
  double p[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; k++) p[k] += x[i + k];
  }
  for (; i < n; i++) p[0] += x[i];
  return ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
}

// out[k] = sum_r x[k*r_n + r]: one contiguous run per output.
void SumRuns(const float* x, int64_t k_n, int64_t r_n, double scale, float* out) {
  if (k_n >= 4 * omp_get_max_threads() || k_n * r_n < ParallelMin()) {
#pragma omp parallel for schedule(static) if (k_n * r_n >= ParallelMin())
    for (int64_t k = 0; k < k_n; k++) out[k] = float(SumRun(x + k * r_n, r_n) * scale);
    return;
  }
  // Few long runs (a full reduction): split each run into one slice per thread, combined in slice order.
  const int threads = omp_get_max_threads();
  std::vector<double> partial(size_t(threads), 0.0);
  for (int64_t k = 0; k < k_n; k++) {
    const float* row = x + k * r_n;
    const int64_t slice = (r_n + threads - 1) / threads;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int t = 0; t < threads; t++) {
      const int64_t begin = std::min(r_n, t * slice), end = std::min(r_n, begin + slice);
      partial[size_t(t)] = SumRun(row + begin, end - begin);
    }
    double s = 0;
    for (int t = 0; t < threads; t++) s += partial[size_t(t)];
    out[k] = float(s * scale);
  }
}

// out[k, i] = sum_r x[k, r, i] for an inner kept axis of length i_n (e.g. per-channel sums of NHWC).
void SumStrided(const float* x, int64_t k_n, int64_t r_n, int64_t i_n, double scale, float* out) {
  const bool parallel = k_n * r_n * i_n >= ParallelMin();
  const int threads = parallel ? omp_get_max_threads() : 1;
  if (k_n >= threads) {
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t k = 0; k < k_n; k++) {
      std::vector<double> acc(i_n, 0.0);
      for (int64_t r = 0; r < r_n; r++) {
        const float* row = x + (k * r_n + r) * i_n;
        for (int64_t i = 0; i < i_n; i++) acc[i] += row[i];
      }
      for (int64_t i = 0; i < i_n; i++) out[k * i_n + i] = float(acc[i] * scale);
    }
    return;
  }
  // Few outputs rows: each thread sums a slice of r into its own partial, combined in thread order (deterministic).
  std::vector<double> partial(size_t(threads) * i_n);
  for (int64_t k = 0; k < k_n; k++) {
    std::fill(partial.begin(), partial.end(), 0.0);
#pragma omp parallel num_threads(threads)
    {
      double* acc = partial.data() + size_t(omp_get_thread_num()) * i_n;
#pragma omp for schedule(static)
      for (int64_t r = 0; r < r_n; r++) {
        const float* row = x + (k * r_n + r) * i_n;
        for (int64_t i = 0; i < i_n; i++) acc[i] += row[i];
      }
    }
    for (int64_t i = 0; i < i_n; i++) {
      double s = 0;
      for (int t = 0; t < threads; t++) s += partial[size_t(t) * i_n + i];
      out[k * i_n + i] = float(s * scale);
    }
  }
}

// reduceF32(op, x, xShape, axes, out) -> boolean handled. op: "sum" | "mean". out holds the kept axes in order.
Napi::Value ReduceF32(const Napi::CallbackInfo& info) {
  return guarded(info, "reduceF32", [&]() -> Napi::Value {
    const std::string op = info[0].As<Napi::String>().Utf8Value();
    if (op != "sum" && op != "mean") throw std::invalid_argument("unknown reduction '" + op + "'");
    auto shape = dims(info[2], "xShape");
    auto axes = dims(info[3], "axes");
    const float* x = F32Exact(info[1], "x", Volume(shape));
    std::vector<bool> reduced(shape.size(), false);
    for (int64_t a : axes) {
      if (a < 0 || a >= int64_t(shape.size()) || reduced[size_t(a)]) throw std::invalid_argument("bad reduction axes");
      reduced[size_t(a)] = true;
    }
    int64_t reduce_count = 1, kept_count = 1;
    for (size_t i = 0; i < shape.size(); i++) (reduced[i] ? reduce_count : kept_count) *= shape[i];
    float* out = F32Exact(info[4], "out", kept_count);
    if (reduce_count == 0) {  // nothing to add up: tfjs' JS kernels give 0 for both sum and mean
      std::fill(out, out + kept_count, 0.f);
      return Napi::Boolean::New(info.Env(), true);
    }
    // Collapse to alternating groups of kept / reduced axes.
    std::vector<std::pair<int64_t, bool>> groups;
    for (size_t i = 0; i < shape.size(); i++) {
      if (shape[i] == 1) continue;
      if (!groups.empty() && groups.back().second == reduced[i]) {
        groups.back().first *= shape[i];
      } else {
        groups.push_back({shape[i], reduced[i]});
      }
    }
    int64_t outer = 1, r_n = 1, inner = 1;
    size_t g = 0;
    if (g < groups.size() && !groups[g].second) outer = groups[g++].first;
    if (g < groups.size() && groups[g].second) r_n = groups[g++].first;
    if (g < groups.size() && !groups[g].second) inner = groups[g++].first;
    if (g != groups.size()) return Napi::Boolean::New(info.Env(), false);
    const double scale = op == "mean" ? 1.0 / double(reduce_count) : 1.0;
    if (inner == 1) {
      SumRuns(x, outer, r_n, scale, out);
    } else {
      SumStrided(x, outer, r_n, inner, scale, out);
    }
    return Napi::Boolean::New(info.Env(), true);
  });
}

// channelMomentsF32(values, rowCells, channels, x0, y0, w, h, out): per channel, over the w×h cells at (x0, y0) of
// a channels-last map rowCells cells wide, out[c] = the sum and out[channels + c] = the sum of squared deviations from
// that rectangle's own mean (out is a Float64Array of 2·channels). The exact tile statistics' per-core moments
// (src/infer/tile-stats.ts), merged across cores there.
//
// One pass over the values, not two: the sums of (v − s) and (v − s)² in double around a shift s per channel (the
// rectangle's first cell), so the deviations are Σ(v − s)² − (Σ(v − s))²/n. Why that is exact enough: the shift
// removes the mean's magnitude, and a double carries 53 bits where the float inputs have 24, so the cancellation
// costs nothing a float statistic could see. It halves the memory read (a 4000×3000 photo's passes read ~10⁹ values).
Napi::Value ChannelMomentsF32(const Napi::CallbackInfo& info) {
  return guarded(info, "channelMomentsF32", [&]() -> Napi::Value {
    size_t len = 0;
    const float* v = f32(info[0], "values", &len);
    const int64_t row_cells = info[1].As<Napi::Number>().Int64Value(), channels = info[2].As<Napi::Number>().Int64Value();
    const int64_t x0 = info[3].As<Napi::Number>().Int64Value(), y0 = info[4].As<Napi::Number>().Int64Value();
    const int64_t w = info[5].As<Napi::Number>().Int64Value(), h = info[6].As<Napi::Number>().Int64Value();
    if (!info[7].IsTypedArray() || info[7].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        info[7].As<Napi::Float64Array>().ElementLength() != size_t(2 * channels))
      throw std::invalid_argument("out must be a Float64Array of 2 × channels");
    double* out = info[7].As<Napi::Float64Array>().Data();
    if (channels < 1 || w < 0 || h < 0 || x0 < 0 || y0 < 0 || x0 + w > row_cells ||
        size_t((y0 + h) * row_cells * channels) > len)
      throw std::invalid_argument("the rectangle is outside the values");
    std::fill(out, out + 2 * channels, 0.0);
    if (w == 0 || h == 0) return info.Env().Undefined();
    const float* first = v + (y0 * row_cells + x0) * channels;
    std::vector<double> shift(first, first + channels);
    const int threads = omp_get_max_threads();
    // Per thread: Σ(v − s) then Σ(v − s)², channel by channel. Rows split over threads.
    std::vector<double> partial(size_t(threads * 2 * channels), 0.0);
#pragma omp parallel num_threads(threads)
    {
      double* sum = partial.data() + size_t(omp_get_thread_num() * 2 * channels);
      double* sq = sum + channels;
      const double* s = shift.data();
#pragma omp for schedule(static)
      for (int64_t y = y0; y < y0 + h; y++) {
        const float* row = v + (y * row_cells + x0) * channels;
        for (int64_t x = 0; x < w; x++)
          for (int64_t c = 0; c < channels; c++) {
            const double d = double(row[x * channels + c]) - s[c];
            sum[c] += d;
            sq[c] += d * d;
          }
      }
    }
    const double n = double(w * h);
    for (int64_t c = 0; c < channels; c++) {
      double sum = 0, sq = 0;
      for (int t = 0; t < threads; t++) {
        sum += partial[size_t(t * 2 * channels + c)];
        sq += partial[size_t(t * 2 * channels + channels + c)];
      }
      out[c] = sum + shift[size_t(c)] * n;
      out[channels + c] = std::max(0.0, sq - sum * sum / n);
    }
    return info.Env().Undefined();
  });
}

}  // namespace

void InitEltwiseReduce(Napi::Env env, Napi::Object exports) {
  exports.Set("reduceF32", Napi::Function::New(env, ReduceF32));
  exports.Set("channelMomentsF32", Napi::Function::New(env, ChannelMomentsF32));
}

}  // namespace nst
