// Blocked-layout kernels of the inference plan (see plan_kernels.h). The element-wise ones are written for a
// compile-time lane count so the compiler vectorises the lane loop; they stream memory, so the baseline ISA suffices.
// The narrow conv has an AVX-512 and an AVX2 version (target attributes; the addon is built for x86-64-v2), chosen at
// run time from the CPU and from the ISA oneDNN runs with.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "plan_kernels.h"

#include <immintrin.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace nst {
namespace plan {

namespace {

// Reflected coordinate of i in [0, n) (ReflectionPad2d: -1 -> 1, n -> n - 2).
inline int64_t Reflect(int64_t i, int64_t n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

template <int L>
void InstanceNormT(const Blocked& src, const float* gamma, const float* beta, double eps, bool relu,
                   const Blocked* res, const Blocked& dst, int up, const FrozenStats* frozen) {
  const int64_t blocks = src.blocks(), M = src.h * src.w;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < src.n; i++) {
    for (int64_t b = 0; b < blocks; b++) {
      // Per lane: the mean and 1/sqrt(var + eps), the frozen ones or this image's own (two passes, in double).
      float mean[L];
      double rstd[L];
      if (frozen) {
        for (int l = 0; l < L; l++) {
          const int64_t c = b * L + l;
          mean[l] = c < src.c ? frozen->mean[size_t(c)] : 0.f;
          rstd[l] = c < src.c ? frozen->rstd[size_t(c)] : 0.0;
        }
      } else {
        double sum[L] = {0}, sq[L] = {0};
        for (int64_t y = 0; y < src.h; y++) {
          const float* p = src.at(i, b, y, 0);
          float row[L] = {0};
          for (int64_t x = 0; x < src.w; x++)
            for (int l = 0; l < L; l++) row[l] += p[x * L + l];
          for (int l = 0; l < L; l++) sum[l] += row[l];
        }
        for (int l = 0; l < L; l++) mean[l] = float(sum[l] / double(M));
        for (int64_t y = 0; y < src.h; y++) {
          const float* p = src.at(i, b, y, 0);
          float row[L] = {0};
          for (int64_t x = 0; x < src.w; x++)
            for (int l = 0; l < L; l++) {
              const float d = p[x * L + l] - mean[l];
              row[l] += d * d;
            }
          for (int l = 0; l < L; l++) sq[l] += row[l];
        }
        for (int l = 0; l < L; l++) rstd[l] = 1.0 / std::sqrt(sq[l] / double(M) + eps);
      }
      float scale[L], shift[L];
      for (int l = 0; l < L; l++) {
        const int64_t c = b * L + l;
        scale[l] = c < src.c ? float(gamma[c] * rstd[l]) : 0.f;
        shift[l] = c < src.c ? beta[c] : 0.f;
      }
      for (int64_t y = 0; y < src.h; y++) {
        const float* p = src.at(i, b, y, 0);
        float* q = dst.at(i, b, y * up, 0);
        const float* r = res ? res->at(i, b, y, 0) : nullptr;
        for (int64_t x = 0; x < src.w; x++) {
          float v[L];
          for (int l = 0; l < L; l++) v[l] = (p[x * L + l] - mean[l]) * scale[l] + shift[l];
          if (relu)
            for (int l = 0; l < L; l++) v[l] = v[l] > 0.f ? v[l] : 0.f;
          if (r)
            for (int l = 0; l < L; l++) v[l] += r[x * L + l];
          for (int k = 0; k < up; k++)
            for (int l = 0; l < L; l++) q[(x * up + k) * L + l] = v[l];
        }
        // Nearest ×2: the odd output row repeats the even one.
        if (up == 2) std::memcpy(dst.at(i, b, y * 2 + 1, 0), q, size_t(dst.w * L) * sizeof(float));
      }
    }
  }
}

template <int L>
void UpsampleT(const Blocked& src, const Blocked& dst) {
  const int64_t blocks = src.blocks();
#pragma omp parallel for collapse(3) schedule(static)
  for (int64_t i = 0; i < src.n; i++)
    for (int64_t b = 0; b < blocks; b++)
      for (int64_t y = 0; y < src.h; y++) {
        const float* p = src.at(i, b, y, 0);
        float* q = dst.at(i, b, 2 * y, 0);
        for (int64_t x = 0; x < src.w; x++)
          for (int k = 0; k < 2; k++)
            for (int l = 0; l < L; l++) q[(2 * x + k) * L + l] = p[x * L + l];
        std::memcpy(dst.at(i, b, 2 * y + 1, 0), q, size_t(dst.w * L) * sizeof(float));
      }
}

template <int L>
void MaxPoolT(const Blocked& src, const Blocked& dst) {
  const int64_t blocks = src.blocks();
#pragma omp parallel for collapse(3) schedule(static)
  for (int64_t i = 0; i < dst.n; i++)
    for (int64_t b = 0; b < blocks; b++)
      for (int64_t y = 0; y < dst.h; y++) {
        const float* p0 = src.at(i, b, 2 * y, 0);
        const float* p1 = src.at(i, b, 2 * y + 1, 0);
        float* q = dst.at(i, b, y, 0);
        for (int64_t x = 0; x < dst.w; x++)
          for (int l = 0; l < L; l++) {
            const float a = std::max(p0[2 * x * L + l], p0[(2 * x + 1) * L + l]);
            const float c = std::max(p1[2 * x * L + l], p1[(2 * x + 1) * L + l]);
            q[x * L + l] = std::max(a, c);
          }
      }
}

// AVX-512: 16 input channels per vector (one channel block), OC outputs × kPixels pixels of accumulators. The 32
// zmm registers hold 8 pixels × 3 outputs + 3 weights + 1 input: each weight load then feeds 8 FMAs, not 4.
template <int OC>
__attribute__((target("avx512f"))) void Narrow512(const Blocked& s, int64_t kh, int64_t kw, const float* wt,
                                                  const float* bias, float* y) {
  constexpr int kPixels = OC <= 3 ? 8 : 6;
  const int64_t blocks = s.blocks(), taps = kh * kw, ph = (kh - 1) / 2, pw = (kw - 1) / 2;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < s.n; i++) {
    for (int64_t oy = 0; oy < s.h; oy++) {
      for (int64_t ox0 = 0; ox0 < s.w; ox0 += kPixels) {
        __m512 acc[kPixels][OC];
        for (int p = 0; p < kPixels; p++)
          for (int o = 0; o < OC; o++) acc[p][o] = _mm512_setzero_ps();
        int64_t ox[kPixels];
        for (int p = 0; p < kPixels; p++) ox[p] = std::min(ox0 + p, s.w - 1);  // past the row's end: recomputed, dropped
        for (int64_t b = 0; b < blocks; b++) {
          for (int64_t ky = 0; ky < kh; ky++) {
            const float* row = s.at(i, b, oy + ky - ph, -pw);
            for (int64_t kx = 0; kx < kw; kx++) {
              const int64_t t = ky * kw + kx;
              __m512 wv[OC];
              for (int o = 0; o < OC; o++) wv[o] = _mm512_loadu_ps(wt + ((o * taps + t) * blocks + b) * 16);
              for (int p = 0; p < kPixels; p++) {
                const __m512 xv = _mm512_loadu_ps(row + (ox[p] + kx) * 16);
                for (int o = 0; o < OC; o++) acc[p][o] = _mm512_fmadd_ps(xv, wv[o], acc[p][o]);
              }
            }
          }
        }
        for (int p = 0; p < kPixels && ox0 + p < s.w; p++) {
          float* out = y + ((i * s.h + oy) * s.w + ox0 + p) * OC;
          for (int o = 0; o < OC; o++) out[o] = _mm512_reduce_add_ps(acc[p][o]) + (bias ? bias[o] : 0.f);
        }
      }
    }
  }
}

__attribute__((target("avx2,fma"))) inline float Sum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// AVX2: 8 channels per vector; OC = 3 uses 12 accumulators + 3 weights + 1 input = all 16 ymm registers.
template <int OC>
__attribute__((target("avx2,fma"))) void Narrow256(const Blocked& s, int64_t kh, int64_t kw, const float* wt,
                                                   const float* bias, float* y) {
  constexpr int kPixels = 4;
  const int64_t blocks = s.blocks(), taps = kh * kw, ph = (kh - 1) / 2, pw = (kw - 1) / 2;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < s.n; i++) {
    for (int64_t oy = 0; oy < s.h; oy++) {
      for (int64_t ox0 = 0; ox0 < s.w; ox0 += kPixels) {
        __m256 acc[kPixels][OC];
        for (int p = 0; p < kPixels; p++)
          for (int o = 0; o < OC; o++) acc[p][o] = _mm256_setzero_ps();
        int64_t ox[kPixels];
        for (int p = 0; p < kPixels; p++) ox[p] = std::min(ox0 + p, s.w - 1);
        for (int64_t b = 0; b < blocks; b++) {
          for (int64_t ky = 0; ky < kh; ky++) {
            const float* row = s.at(i, b, oy + ky - ph, -pw);
            for (int64_t kx = 0; kx < kw; kx++) {
              const int64_t t = ky * kw + kx;
              __m256 wv[OC];
              for (int o = 0; o < OC; o++) wv[o] = _mm256_loadu_ps(wt + ((o * taps + t) * blocks + b) * 8);
              for (int p = 0; p < kPixels; p++) {
                const __m256 xv = _mm256_loadu_ps(row + (ox[p] + kx) * 8);
                for (int o = 0; o < OC; o++) acc[p][o] = _mm256_fmadd_ps(xv, wv[o], acc[p][o]);
              }
            }
          }
        }
        for (int p = 0; p < kPixels && ox0 + p < s.w; p++) {
          float* out = y + ((i * s.h + oy) * s.w + ox0 + p) * OC;
          for (int o = 0; o < OC; o++) out[o] = Sum256(acc[p][o]) + (bias ? bias[o] : 0.f);
        }
      }
    }
  }
}

}  // namespace

bool OneDnnHas(dnnl::cpu_isa isa) {
  const unsigned effective = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const unsigned want = static_cast<unsigned>(isa);
  return (effective & want) == want;
}

void FillReflectHalo(const Blocked& d) {
  if (d.halo == 0) return;
  const int64_t L = d.lanes, blocks = d.blocks();
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < d.n; i++)
    for (int64_t b = 0; b < blocks; b++) {
      // Left and right columns of every interior row, then whole rows above and below (corners included).
      for (int64_t y = 0; y < d.h; y++)
        for (int64_t k = 1; k <= d.halo; k++) {
          std::memcpy(d.at(i, b, y, -k), d.at(i, b, y, Reflect(-k, d.w)), size_t(L) * sizeof(float));
          std::memcpy(d.at(i, b, y, d.w - 1 + k), d.at(i, b, y, Reflect(d.w - 1 + k, d.w)), size_t(L) * sizeof(float));
        }
      for (int64_t k = 1; k <= d.halo; k++) {
        std::memcpy(d.at(i, b, -k, -d.halo), d.at(i, b, Reflect(-k, d.h), -d.halo), size_t(d.wp() * L) * sizeof(float));
        std::memcpy(d.at(i, b, d.h - 1 + k, -d.halo), d.at(i, b, Reflect(d.h - 1 + k, d.h), -d.halo),
                    size_t(d.wp() * L) * sizeof(float));
      }
    }
}

void InstanceNorm(const Blocked& src, const float* gamma, const float* beta, double eps, bool relu,
                  const Blocked* residual, const Blocked& dst, const FrozenStats* frozen) {
  const int up = dst.h == src.h * 2 ? 2 : 1;
  if (up == 1 && dst.h != src.h) throw std::invalid_argument("instance norm: output size must be 1x or 2x the input");
  if (frozen && (frozen->mean.size() != size_t(src.c) || frozen->rstd.size() != size_t(src.c)))
    throw std::invalid_argument("instance norm: frozen statistics need one mean and rstd per channel");
  if (src.lanes == 16) InstanceNormT<16>(src, gamma, beta, eps, relu, residual, dst, up, frozen);
  else if (src.lanes == 8) InstanceNormT<8>(src, gamma, beta, eps, relu, residual, dst, up, frozen);
  else throw std::invalid_argument("instance norm: 8 or 16 lanes");
  FillReflectHalo(dst);
}

void UpsampleNearest2x(const Blocked& src, const Blocked& dst) {
  if (src.lanes == 16) UpsampleT<16>(src, dst);
  else if (src.lanes == 8) UpsampleT<8>(src, dst);
  else throw std::invalid_argument("upsample: 8 or 16 lanes");
  FillReflectHalo(dst);
}

void MaxPool2x2(const Blocked& src, const Blocked& dst) {
  if (dst.h != src.h / 2 || dst.w != src.w / 2) throw std::invalid_argument("max pool: output must be half the input");
  if (src.lanes == 16) MaxPoolT<16>(src, dst);
  else if (src.lanes == 8) MaxPoolT<8>(src, dst);
  else throw std::invalid_argument("max pool: 8 or 16 lanes");
  FillReflectHalo(dst);
}

void CopyWithHalo(const Blocked& src, const Blocked& dst) {
  const int64_t blocks = src.blocks();
#pragma omp parallel for collapse(3) schedule(static)
  for (int64_t i = 0; i < src.n; i++)
    for (int64_t b = 0; b < blocks; b++)
      for (int64_t y = 0; y < src.h; y++)
        std::memcpy(dst.at(i, b, y, 0), src.at(i, b, y, 0), size_t(src.w * src.lanes) * sizeof(float));
  FillReflectHalo(dst);
}

void NhwcToBlocked(const float* src, const Blocked& dst) {
  const int64_t blocks = dst.blocks(), L = dst.lanes;
#pragma omp parallel for collapse(3) schedule(static)
  for (int64_t i = 0; i < dst.n; i++)
    for (int64_t b = 0; b < blocks; b++)
      for (int64_t y = 0; y < dst.h; y++) {
        const int64_t c0 = b * L, lanes = std::min(L, dst.c - c0);
        const float* row = src + (i * dst.h + y) * dst.w * dst.c + c0;
        float* out = dst.at(i, b, y, 0);
        for (int64_t x = 0; x < dst.w; x++) {
          for (int64_t l = 0; l < lanes; l++) out[x * L + l] = row[x * dst.c + l];
          for (int64_t l = lanes; l < L; l++) out[x * L + l] = 0.f;
        }
      }
  FillReflectHalo(dst);
}

void BlockedToNhwc(const Blocked& src, float* dst) {
  const int64_t blocks = src.blocks(), L = src.lanes;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < src.n; i++)
    for (int64_t y = 0; y < src.h; y++)
      for (int64_t b = 0; b < blocks; b++) {
        const int64_t c0 = b * L, lanes = std::min(L, src.c - c0);
        const float* in = src.at(i, b, y, 0);
        float* row = dst + (i * src.h + y) * src.w * src.c + c0;
        for (int64_t x = 0; x < src.w; x++)
          for (int64_t l = 0; l < lanes; l++) row[x * src.c + l] = in[x * L + l];
      }
}

void ReflectPadNhwc(const float* src, int64_t n, int64_t h, int64_t w, int64_t c, int64_t pad, float* dst) {
  const int64_t hp = h + 2 * pad, wp = w + 2 * pad;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < n; i++)
    for (int64_t y = 0; y < hp; y++) {
      const float* row = src + (i * h + Reflect(y - pad, h)) * w * c;
      float* out = dst + (i * hp + y) * wp * c;
      for (int64_t x = 0; x < wp; x++) std::memcpy(out + x * c, row + Reflect(x - pad, w) * c, size_t(c) * sizeof(float));
    }
}

bool NarrowBlockedAvailable(int64_t lanes) {
  __builtin_cpu_init();
  if (lanes == 16) return __builtin_cpu_supports("avx512f") && OneDnnHas(dnnl::cpu_isa::avx512_core);
  if (lanes == 8) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && OneDnnHas(dnnl::cpu_isa::avx2);
  return false;
}

std::vector<float> NarrowBlockedWeights(const float* w, int64_t kh, int64_t kw, int64_t ic, int64_t oc, int64_t lanes) {
  const int64_t taps = kh * kw, blocks = (ic + lanes - 1) / lanes;
  std::vector<float> wt(size_t(oc * taps * blocks * lanes), 0.f);
  for (int64_t t = 0; t < taps; t++)
    for (int64_t c = 0; c < ic; c++)
      for (int64_t o = 0; o < oc; o++) wt[size_t(((o * taps + t) * blocks + c / lanes) * lanes + c % lanes)] = w[(t * ic + c) * oc + o];
  return wt;
}

void NarrowBlockedForward(const Blocked& s, int64_t kh, int64_t kw, int64_t oc, const float* wt, const float* bias,
                          float* y) {
  if (oc < 1 || oc > 4) throw std::invalid_argument("narrow blocked conv takes 1 to 4 output channels");
  if (!NarrowBlockedAvailable(s.lanes)) throw std::runtime_error("narrow blocked conv: no kernel for this CPU");
  if (s.halo * 2 != kh - 1 || kh != kw) throw std::invalid_argument("narrow blocked conv: halo must be (k - 1) / 2");
  if (s.lanes == 16) {
    switch (oc) {
      case 1: Narrow512<1>(s, kh, kw, wt, bias, y); break;
      case 2: Narrow512<2>(s, kh, kw, wt, bias, y); break;
      case 3: Narrow512<3>(s, kh, kw, wt, bias, y); break;
      default: Narrow512<4>(s, kh, kw, wt, bias, y); break;
    }
  } else {
    switch (oc) {
      case 1: Narrow256<1>(s, kh, kw, wt, bias, y); break;
      case 2: Narrow256<2>(s, kh, kw, wt, bias, y); break;
      case 3: Narrow256<3>(s, kh, kw, wt, bias, y); break;
      default: Narrow256<4>(s, kh, kw, wt, bias, y); break;
    }
  }
}

}  // namespace plan
}  // namespace nst
