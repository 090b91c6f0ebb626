// The narrow-output conv kernels. Forward: for each output pixel and output channel o, y = Σ_taps Σ_c x[tap pixel][c]·w[tap][c][o].
// The sum over c runs 16 lanes wide (x's channels are contiguous in NHWC; the filter is rearranged to [o][tap][c],
// padded to a multiple of 16 channels), 4 output pixels at a time so that each weight vector loaded serves 4 FMAs.
// With oc = 3 that is 12 accumulators, 7 loads per 12 FMAs: compute-bound, unlike oneDNN's 3/16-wide kernels here.
// The filter gradient dW[t][c][o] = Σ_p x[tap t of p][c]·dy[p][o] runs 16 input channels per vector too, over bands
// of output rows whose input rows stay in cache while every tap passes over them.
// Compiled for AVX-512F through a target attribute (the addon itself is built for x86-64-v2) and used only after a
// runtime CPU check; elsewhere the caller keeps oneDNN's conv.
#include "conv_narrow.h"

// GCC 12's _mm512_reduce_add_ps trips a false -Wmaybe-uninitialized inside its own header.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace nst {
namespace convsupport {

namespace {

constexpr int kPixels = 4;  // output pixels per register block
constexpr int64_t kLanes = 16;

inline float Activate(float v, int activation, float alpha) {
  switch (activation) {
    case 1: return v > 0.f ? v : 0.f;
    case 2: return std::min(std::max(v, 0.f), 6.f);
    case 3: return v > 0.f ? v : alpha * v;
    default: return v;
  }
}

template <int OC>
__attribute__((target("avx512f"))) void ForwardRows(const NarrowConv& g, const float* x, const float* wt,
                                                    int64_t chunks, const float* bias, float* y, int activation,
                                                    float alpha) {
  const int64_t taps = g.kh * g.kw;
  const int64_t tail = g.ic - (chunks - 1) * kLanes;  // channels in the last 16-lane chunk (1..16)
  const __mmask16 tail_mask = static_cast<__mmask16>((1u << tail) - 1u);
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < g.n; b++) {
    for (int64_t oy = 0; oy < g.oh; oy++) {
      for (int64_t ox0 = 0; ox0 < g.ow; ox0 += kPixels) {
        __m512 acc[kPixels][OC];
        for (int p = 0; p < kPixels; p++)
          for (int o = 0; o < OC; o++) acc[p][o] = _mm512_setzero_ps();
        for (int64_t ky = 0; ky < g.kh; ky++) {
          const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
          if (iy < 0 || iy >= g.ih) continue;
          const float* xrow = x + (b * g.ih + iy) * g.iw * g.ic;
          for (int64_t kx = 0; kx < g.kw; kx++) {
            const int64_t t = ky * g.kw + kx;
            // Pixels left of / right of the image (padding) and past the row's end read as zeros.
            const float* px[kPixels];
            bool valid[kPixels];
            for (int p = 0; p < kPixels; p++) {
              const int64_t ix = (ox0 + p) * g.sw - g.pl + kx * g.dw;
              valid[p] = ox0 + p < g.ow && ix >= 0 && ix < g.iw;
              px[p] = valid[p] ? xrow + ix * g.ic : xrow;
            }
            for (int64_t c = 0; c < chunks; c++) {
              const __mmask16 lanes = c + 1 == chunks ? tail_mask : static_cast<__mmask16>(0xFFFF);
              __m512 wv[OC];
              for (int o = 0; o < OC; o++) wv[o] = _mm512_load_ps(wt + ((o * taps + t) * chunks + c) * kLanes);
              for (int p = 0; p < kPixels; p++) {
                const __m512 xv = _mm512_maskz_loadu_ps(valid[p] ? lanes : 0, px[p] + c * kLanes);
                for (int o = 0; o < OC; o++) acc[p][o] = _mm512_fmadd_ps(xv, wv[o], acc[p][o]);
              }
            }
          }
        }
        for (int p = 0; p < kPixels && ox0 + p < g.ow; p++) {
          float* out = y + ((b * g.oh + oy) * g.ow + ox0 + p) * OC;
          for (int o = 0; o < OC; o++) {
            const float sum = _mm512_reduce_add_ps(acc[p][o]) + (bias ? bias[o] : 0.f);
            out[o] = Activate(sum, activation, alpha);
          }
        }
      }
    }
  }
}

// Rows of output pixels a backward-weights task covers: their input rows stay in L2 while all taps run over them.
constexpr int64_t kBandRows = 4;

// Range of output columns whose tap at horizontal offset `offset` (= kx·dw - pl) lands inside the input row.
inline void ValidColumns(const NarrowConv& g, int64_t offset, int64_t* lo, int64_t* hi) {
  // ix = ox·sw + offset must satisfy 0 <= ix < iw.
  *lo = offset >= 0 ? 0 : (-offset + g.sw - 1) / g.sw;
  *hi = std::min(g.ow, g.iw - offset <= 0 ? 0 : (g.iw - offset - 1) / g.sw + 1);
}

// dW[t][o][c] += Σ over output pixels p of x[pixel t of p][c]·dy[p][o], 16 input channels per vector. Each task (an
// image's band of output rows) accumulates into its thread's copy; the copies are summed at the end.
template <int OC>
__attribute__((target("avx512f"))) void BackwardWeightsBands(const NarrowConv& g, const float* x, const float* dy,
                                                             int64_t chunks, float* sum) {
  const int64_t taps = g.kh * g.kw, per_tap = OC * chunks * kLanes;
  const int64_t tail = g.ic - (chunks - 1) * kLanes;
  const __mmask16 tail_mask = static_cast<__mmask16>((1u << tail) - 1u);
  const int64_t bands = (g.oh + kBandRows - 1) / kBandRows;
#pragma omp parallel
  {
    std::vector<float> part(size_t(taps * per_tap), 0.f);
#pragma omp for collapse(2) schedule(static)
    for (int64_t b = 0; b < g.n; b++) {
      for (int64_t band = 0; band < bands; band++) {
        const int64_t oy0 = band * kBandRows, oy1 = std::min(g.oh, oy0 + kBandRows);
        for (int64_t ky = 0; ky < g.kh; ky++) {
          for (int64_t kx = 0; kx < g.kw; kx++) {
            const int64_t t = ky * g.kw + kx, offset = kx * g.dw - g.pl;
            int64_t lo, hi;
            ValidColumns(g, offset, &lo, &hi);
            for (int64_t c = 0; c < chunks; c++) {
              const __mmask16 lanes = c + 1 == chunks ? tail_mask : static_cast<__mmask16>(0xFFFF);
              float* cell = part.data() + t * per_tap + c * kLanes;
              __m512 acc[OC];
              for (int o = 0; o < OC; o++) acc[o] = _mm512_loadu_ps(cell + o * chunks * kLanes);
              for (int64_t oy = oy0; oy < oy1; oy++) {
                const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
                if (iy < 0 || iy >= g.ih) continue;
                const float* xrow = x + ((b * g.ih + iy) * g.iw) * g.ic + c * kLanes;
                const float* dyrow = dy + ((b * g.oh + oy) * g.ow) * OC;
                for (int64_t ox = lo; ox < hi; ox++) {
                  const __m512 xv = _mm512_maskz_loadu_ps(lanes, xrow + (ox * g.sw + offset) * g.ic);
                  for (int o = 0; o < OC; o++) acc[o] = _mm512_fmadd_ps(xv, _mm512_set1_ps(dyrow[ox * OC + o]), acc[o]);
                }
              }
              for (int o = 0; o < OC; o++) _mm512_storeu_ps(cell + o * chunks * kLanes, acc[o]);
            }
          }
        }
      }
    }
#pragma omp critical
    for (size_t i = 0; i < part.size(); i++) sum[i] += part[i];
  }
}

}  // namespace

bool NarrowOutAvailable() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

void NarrowOutForward(const NarrowConv& g, const float* x, const float* w, const float* bias, float* y, int activation,
                      float alpha) {
  if (g.oc < 1 || g.oc > kNarrowOutMaxChannels) throw std::invalid_argument("narrow-output conv takes 1 to 4 channels");
  if (!NarrowOutAvailable()) throw std::runtime_error("narrow-output conv needs AVX-512F");
  const int64_t taps = g.kh * g.kw, chunks = (g.ic + kLanes - 1) / kLanes;
  // [o][tap][c] with c zero-padded to whole 16-lane chunks, 64-byte aligned for aligned loads.
  const size_t count = size_t(g.oc * taps * chunks * kLanes);
  float* wt = static_cast<float*>(std::aligned_alloc(64, ((count * sizeof(float) + 63) / 64) * 64));
  if (!wt) throw std::runtime_error("out of memory rearranging the filter");
  std::fill(wt, wt + count, 0.f);
  for (int64_t t = 0; t < taps; t++)
    for (int64_t c = 0; c < g.ic; c++)
      for (int64_t o = 0; o < g.oc; o++) wt[(o * taps + t) * chunks * kLanes + c] = w[(t * g.ic + c) * g.oc + o];
  try {
    switch (g.oc) {
      case 1: ForwardRows<1>(g, x, wt, chunks, bias, y, activation, alpha); break;
      case 2: ForwardRows<2>(g, x, wt, chunks, bias, y, activation, alpha); break;
      case 3: ForwardRows<3>(g, x, wt, chunks, bias, y, activation, alpha); break;
      default: ForwardRows<4>(g, x, wt, chunks, bias, y, activation, alpha); break;
    }
  } catch (...) {
    std::free(wt);
    throw;
  }
  std::free(wt);
}

}  // namespace convsupport
}  // namespace nst

namespace nst {
namespace convsupport {

void NarrowOutBackwardWeights(const NarrowConv& g, const float* x, const float* dy, float* dw) {
  if (g.oc < 1 || g.oc > kNarrowOutMaxChannels) throw std::invalid_argument("narrow-output conv takes 1 to 4 channels");
  if (!NarrowOutAvailable()) throw std::runtime_error("narrow-output conv needs AVX-512F");
  const int64_t taps = g.kh * g.kw, chunks = (g.ic + kLanes - 1) / kLanes;
  // [tap][o][c padded to whole chunks]
  std::vector<float> sum(size_t(taps * g.oc * chunks * kLanes), 0.f);
  switch (g.oc) {
    case 1: BackwardWeightsBands<1>(g, x, dy, chunks, sum.data()); break;
    case 2: BackwardWeightsBands<2>(g, x, dy, chunks, sum.data()); break;
    case 3: BackwardWeightsBands<3>(g, x, dy, chunks, sum.data()); break;
    default: BackwardWeightsBands<4>(g, x, dy, chunks, sum.data()); break;
  }
  for (int64_t t = 0; t < taps; t++)
    for (int64_t c = 0; c < g.ic; c++)
      for (int64_t o = 0; o < g.oc; o++) dw[(t * g.ic + c) * g.oc + o] = sum[size_t((t * g.oc + o) * chunks * kLanes + c)];
}

}  // namespace convsupport
}  // namespace nst
