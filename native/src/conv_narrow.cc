// The narrow-output conv path. With K = kh·kw taps and W'[c][t·oc + o] = W[t][c][o]:
//   forward:           Z = X·W' (a matmul whose wide side is K·oc), then y[p][o] = Σ_t Z[p shifted by tap t][t·oc + o]
//   backward data:     D[q][t·oc + o] = dy[the output that tap t of q feeds][o], then dx = D·W'ᵀ
//   backward weights:  dW' = Xᵀ·D
// The matmuls run on oneDNN at full vector width; the shifted sums and the D gather are cheap memory passes.
// Z and D hold K·oc floats per input pixel, so they are built in bands of input rows to bound memory.
#include "conv_narrow.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "conv_support.h"

namespace nst {
namespace convsupport {

namespace {

constexpr size_t kBandBytes = size_t(32) << 20;

inline float Activate(float v, int activation, float alpha) {
  switch (activation) {
    case 1: return v > 0.f ? v : 0.f;
    case 2: return std::min(std::max(v, 0.f), 6.f);
    case 3: return v > 0.f ? v : alpha * v;
    default: return v;
  }
}

// W'[c][t·oc + o] = W[t][c][o] (HWIO viewed as [K][ic][oc]).
std::vector<float> SpreadTaps(const NarrowConv& g, const float* w) {
  const int64_t taps = g.kh * g.kw, wide = taps * g.oc;
  std::vector<float> out(size_t(g.ic * wide));
  for (int64_t t = 0; t < taps; t++)
    for (int64_t c = 0; c < g.ic; c++)
      for (int64_t o = 0; o < g.oc; o++) out[size_t(c * wide + t * g.oc + o)] = w[(t * g.ic + c) * g.oc + o];
  return out;
}

// Input rows per band so that a band of K·oc floats per pixel stays near kBandBytes (at least `minimum` rows).
int64_t BandRows(const NarrowConv& g, int64_t minimum) {
  const size_t row_bytes = size_t(g.iw * g.kh * g.kw * g.oc) * sizeof(float);
  return std::max<int64_t>(minimum, int64_t(kBandBytes / std::max<size_t>(row_bytes, 1)));
}

// D for input rows [r0, r1) of image b: D[(iy - r0)·iw + ix][t·oc + o] = dy[b][oy][ox][o] where tap t of output
// (oy, ox) reads input (iy, ix), or 0 when no output does.
void GatherDy(const NarrowConv& g, const float* dy, int64_t b, int64_t r0, int64_t r1, float* d) {
  const int64_t taps = g.kh * g.kw, wide = taps * g.oc;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t iy = r0; iy < r1; iy++) {
    for (int64_t ix = 0; ix < g.iw; ix++) {
      float* row = d + ((iy - r0) * g.iw + ix) * wide;
      for (int64_t ky = 0; ky < g.kh; ky++) {
        const int64_t ny = iy + g.pt - ky * g.dh;
        const bool row_ok = ny >= 0 && ny % g.sh == 0 && ny / g.sh < g.oh;
        for (int64_t kx = 0; kx < g.kw; kx++) {
          float* cell = row + (ky * g.kw + kx) * g.oc;
          const int64_t nx = ix + g.pl - kx * g.dw;
          if (row_ok && nx >= 0 && nx % g.sw == 0 && nx / g.sw < g.ow) {
            std::memcpy(cell, dy + ((b * g.oh + ny / g.sh) * g.ow + nx / g.sw) * g.oc, size_t(g.oc) * sizeof(float));
          } else {
            std::fill(cell, cell + g.oc, 0.f);
          }
        }
      }
    }
  }
}

}  // namespace

void NarrowOutForward(const NarrowConv& g, const float* x, const float* w, const float* bias, float* y, int activation,
                      float alpha) {
  const int64_t taps = g.kh * g.kw, wide = taps * g.oc;
  const std::vector<float> spread = SpreadTaps(g, w);
  const int64_t reach = (g.kh - 1) * g.dh + 1;  // input rows one output row reads
  const int64_t band_out = std::max<int64_t>(1, (BandRows(g, reach) - reach) / g.sh + 1);
  std::vector<float> zero_bias(size_t(g.oc), 0.f);
  const float* bs = bias ? bias : zero_bias.data();

  for (int64_t b = 0; b < g.n; b++) {
    for (int64_t oy0 = 0; oy0 < g.oh; oy0 += band_out) {
      const int64_t oy1 = std::min(g.oh, oy0 + band_out);
      const int64_t r0 = std::max<int64_t>(0, oy0 * g.sh - g.pt);
      const int64_t r1 = std::min(g.ih, (oy1 - 1) * g.sh - g.pt + reach);
      float* z = nullptr;
      if (r1 > r0) {
        z = static_cast<float*>(Arena(kSlotBand, size_t((r1 - r0) * g.iw * wide) * sizeof(float)));
        PlainMatmul(x + (b * g.ih + r0) * g.iw * g.ic, spread.data(), z, (r1 - r0) * g.iw, g.ic, wide, false, false);
      }
#pragma omp parallel for collapse(2) schedule(static)
      for (int64_t oy = oy0; oy < oy1; oy++) {
        for (int64_t ox = 0; ox < g.ow; ox++) {
          float acc[16];
          for (int64_t o = 0; o < g.oc; o++) acc[o] = bs[o];
          for (int64_t ky = 0; ky < g.kh; ky++) {
            const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
            if (iy < r0 || iy >= r1) continue;  // padding (in-range rows of this output are all in the band)
            for (int64_t kx = 0; kx < g.kw; kx++) {
              const int64_t ix = ox * g.sw - g.pl + kx * g.dw;
              if (ix < 0 || ix >= g.iw) continue;
              const float* cell = z + ((iy - r0) * g.iw + ix) * wide + (ky * g.kw + kx) * g.oc;
              for (int64_t o = 0; o < g.oc; o++) acc[o] += cell[o];
            }
          }
          float* out = y + ((b * g.oh + oy) * g.ow + ox) * g.oc;
          for (int64_t o = 0; o < g.oc; o++) out[o] = Activate(acc[o], activation, alpha);
        }
      }
    }
  }
}

void NarrowOutBackwardData(const NarrowConv& g, const float* dy, const float* w, float* dx) {
  const int64_t wide = g.kh * g.kw * g.oc;
  const std::vector<float> spread = SpreadTaps(g, w);
  const int64_t band = BandRows(g, 1);
  for (int64_t b = 0; b < g.n; b++) {
    for (int64_t r0 = 0; r0 < g.ih; r0 += band) {
      const int64_t r1 = std::min(g.ih, r0 + band);
      float* d = static_cast<float*>(Arena(kSlotBand, size_t((r1 - r0) * g.iw * wide) * sizeof(float)));
      GatherDy(g, dy, b, r0, r1, d);
      // dx rows [r0, r1) of image b are contiguous in NHWC: the matmul writes them in place.
      PlainMatmul(d, spread.data(), dx + (b * g.ih + r0) * g.iw * g.ic, (r1 - r0) * g.iw, wide, g.ic, false, true);
    }
  }
}

void NarrowOutBackwardWeights(const NarrowConv& g, const float* x, const float* dy, float* dw) {
  const int64_t taps = g.kh * g.kw, wide = taps * g.oc;
  const int64_t band = BandRows(g, 1);
  std::vector<float> sum(size_t(g.ic * wide), 0.f), part(size_t(g.ic * wide));
  for (int64_t b = 0; b < g.n; b++) {
    for (int64_t r0 = 0; r0 < g.ih; r0 += band) {
      const int64_t r1 = std::min(g.ih, r0 + band);
      float* d = static_cast<float*>(Arena(kSlotBand, size_t((r1 - r0) * g.iw * wide) * sizeof(float)));
      GatherDy(g, dy, b, r0, r1, d);
      PlainMatmul(x + (b * g.ih + r0) * g.iw * g.ic, d, part.data(), g.ic, (r1 - r0) * g.iw, wide, true, false);
      for (size_t i = 0; i < sum.size(); i++) sum[i] += part[i];
    }
  }
  for (int64_t t = 0; t < taps; t++)
    for (int64_t c = 0; c < g.ic; c++)
      for (int64_t o = 0; o < g.oc; o++) dw[(t * g.ic + c) * g.oc + o] = sum[size_t(c * wide + t * g.oc + o)];
}

}  // namespace convsupport
}  // namespace nst
