// Winograd F(4×4, 3×3) on 8-lane blocks (see winograd.h). The matrices are Lavin & Gray's for the points 0, ±1, ±2:
//   Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
//   G  = [1/4 0 0; −1/6 −1/6 −1/6; −1/6 1/6 −1/6; 1/24 1/12 1/6; 1/24 −1/12 1/6; 0 0 1]
//   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]
// The blocked layout puts 8 channels of a pixel in one vector, so both transforms are vector adds over channels.
#include "winograd.h"

#include <immintrin.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace nst {
namespace plan {

namespace {

constexpr int kLanes = 8;
constexpr int kXi = 36;         // transformed positions of a 6×6 tile
constexpr int64_t kGroup = 64;  // output tiles per matrix product: its operands (≤ 36·64·256 floats) stay near L2

constexpr double kG[6][3] = {{1.0 / 4, 0, 0},           {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                             {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};

// r = Bᵀ d for six vectors.
__attribute__((target("avx2,fma"))) inline void InputTransform(const __m256 d[6], __m256 r[6]) {
  const __m256 two = _mm256_set1_ps(2.f), four = _mm256_set1_ps(4.f), five = _mm256_set1_ps(5.f);
  r[0] = _mm256_fmadd_ps(four, d[0], _mm256_fnmadd_ps(five, d[2], d[4]));
  r[1] = _mm256_fnmadd_ps(four, _mm256_add_ps(d[1], d[2]), _mm256_add_ps(d[3], d[4]));
  r[2] = _mm256_fmadd_ps(four, _mm256_sub_ps(d[1], d[2]), _mm256_sub_ps(d[4], d[3]));
  r[3] = _mm256_fmadd_ps(two, _mm256_sub_ps(d[3], d[1]), _mm256_sub_ps(d[4], d[2]));
  r[4] = _mm256_fmadd_ps(two, _mm256_sub_ps(d[1], d[3]), _mm256_sub_ps(d[4], d[2]));
  r[5] = _mm256_fmadd_ps(four, d[1], _mm256_fnmadd_ps(five, d[3], d[5]));
}

// o = Aᵀ m for six vectors (four results).
__attribute__((target("avx2,fma"))) inline void OutputTransform(const __m256 m[6], __m256 o[4]) {
  const __m256 p12 = _mm256_add_ps(m[1], m[2]), d12 = _mm256_sub_ps(m[1], m[2]);
  const __m256 p34 = _mm256_add_ps(m[3], m[4]), d34 = _mm256_sub_ps(m[3], m[4]);
  o[0] = _mm256_add_ps(_mm256_add_ps(m[0], p12), p34);
  o[1] = _mm256_fmadd_ps(_mm256_set1_ps(2.f), d34, d12);
  o[2] = _mm256_fmadd_ps(_mm256_set1_ps(4.f), p34, p12);
  o[3] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8.f), d34, d12), m[5]);
}

// The 6×6 input tile of block b whose outputs start at (y0, x0) → v[ξ·xi_stride], ξ = row·6 + column. Pixels
// outside the stored frame (interior plus halo) read as zero: they are the zero padding, or they only feed outputs
// past the image's edge, which are dropped.
__attribute__((target("avx2,fma"))) void LoadTransformInput(const Blocked& s, int64_t i, int64_t b, int64_t y0,
                                                            int64_t x0, float* v, int64_t xi_stride) {
  __m256 d[6][6];
  const bool inside = y0 - 1 >= -s.halo && y0 + 4 < s.h + s.halo && x0 - 1 >= -s.halo && x0 + 4 < s.w + s.halo;
  for (int r = 0; r < 6; r++) {
    const int64_t y = y0 - 1 + r;
    const bool row_in = y >= -s.halo && y < s.h + s.halo;
    for (int c = 0; c < 6; c++) {
      const int64_t x = x0 - 1 + c;
      d[r][c] = inside || (row_in && x >= -s.halo && x < s.w + s.halo) ? _mm256_loadu_ps(s.at(i, b, y, x))
                                                                        : _mm256_setzero_ps();
    }
  }
  __m256 t[6][6], col[6], out[6];
  for (int c = 0; c < 6; c++) {
    for (int r = 0; r < 6; r++) col[r] = d[r][c];
    InputTransform(col, out);
    for (int r = 0; r < 6; r++) t[r][c] = out[r];
  }
  for (int r = 0; r < 6; r++) {
    InputTransform(t[r], out);
    for (int c = 0; c < 6; c++) _mm256_storeu_ps(v + (r * 6 + c) * xi_stride, out[c]);
  }
}

// The 6×6 products of output block ob of one tile (m[ξ·xi_stride]) → its 4×4 outputs at (y0, x0), plus bias, ReLU.
__attribute__((target("avx2,fma"))) void TransformStoreOutput(const float* m, int64_t xi_stride, const float* bias,
                                                              bool relu, const Blocked& d, int64_t i, int64_t ob,
                                                              int64_t y0, int64_t x0) {
  __m256 t[4][6], col[6], out[4];
  for (int c = 0; c < 6; c++) {
    for (int r = 0; r < 6; r++) col[r] = _mm256_loadu_ps(m + (r * 6 + c) * xi_stride);
    OutputTransform(col, out);
    for (int k = 0; k < 4; k++) t[k][c] = out[k];
  }
  const __m256 b = _mm256_loadu_ps(bias), zero = _mm256_setzero_ps();
  for (int k = 0; k < 4 && y0 + k < d.h; k++) {
    OutputTransform(t[k], out);
    for (int c = 0; c < 4 && x0 + c < d.w; c++) {
      __m256 v = _mm256_add_ps(out[c], b);
      if (relu) v = _mm256_max_ps(v, zero);
      _mm256_storeu_ps(d.at(i, ob, y0 + k, x0 + c), v);
    }
  }
}

}  // namespace

bool WinogradOffByEnv() {
  static const bool off = std::getenv("NST_PLAN_WINOGRAD") && std::string(std::getenv("NST_PLAN_WINOGRAD")) == "0";
  return off;
}

bool WinogradAvailable(int64_t lanes) { return lanes == kLanes && NarrowBlockedAvailable(kLanes); }

WinogradFilter MakeWinogradFilter(const float* hwio, const float* bias, int64_t ic, int64_t oc, int64_t lanes) {
  if (lanes != kLanes) throw std::invalid_argument("winograd: 8-lane blocks only");
  WinogradFilter f;
  f.ic = ic, f.oc = oc;
  f.icp = (ic + kLanes - 1) / kLanes * kLanes, f.ocp = (oc + kLanes - 1) / kLanes * kLanes;
  f.u.assign(size_t(kXi * f.icp * f.ocp), 0.f);
  // In parallel: the training kernels transform their changing filters on every call.
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < ic; c++)
    for (int64_t o = 0; o < oc; o++) {
      double gg[6][3] = {};  // G g
      for (int a = 0; a < 6; a++)
        for (int kx = 0; kx < 3; kx++)
          for (int ky = 0; ky < 3; ky++) gg[a][kx] += kG[a][ky] * hwio[((ky * 3 + kx) * ic + c) * oc + o];
      for (int a = 0; a < 6; a++)
        for (int b = 0; b < 6; b++) {
          double u = 0;
          for (int kx = 0; kx < 3; kx++) u += gg[a][kx] * kG[b][kx];
          f.u[size_t(((a * 6 + b) * f.icp + c) * f.ocp + o)] = float(u);
        }
    }
  f.bias.assign(size_t(f.ocp), 0.f);
  if (bias) std::copy(bias, bias + oc, f.bias.begin());
  return f;
}

void WinogradForward(const Blocked& s, const WinogradFilter& f, bool relu, const Blocked& d) {
  if (!WinogradAvailable(s.lanes) || d.lanes != s.lanes) throw std::runtime_error("winograd: no kernel for this CPU");
  if (s.c != f.ic || d.c != f.oc) throw std::invalid_argument("winograd: channels differ from the filter's");
  if (d.n != s.n || d.h != s.h || d.w != s.w || s.halo > 1) throw std::invalid_argument("winograd: 3x3, stride 1, pad 1");
  const int64_t tiles_w = (s.w + 3) / 4, per_image = (s.h + 3) / 4 * tiles_w, tiles = s.n * per_image;
  const int64_t groups = (tiles + kGroup - 1) / kGroup, in_blocks = f.icp / kLanes, out_blocks = f.ocp / kLanes;
  const int64_t v_stride = kGroup * f.icp, m_stride = kGroup * f.ocp;
  int failed = 0;
#pragma omp parallel
  {
    // Per thread, reused across calls: the transformed inputs and the products of one group of tiles.
    static thread_local std::vector<float> v, m;
    v.resize(size_t(kXi * v_stride)), m.resize(size_t(kXi * m_stride));
#pragma omp for schedule(static)
    for (int64_t g = 0; g < groups; g++) {
      const int64_t first = g * kGroup, count = std::min(kGroup, tiles - first);
      for (int64_t t = 0; t < count; t++) {
        const int64_t tile = first + t, i = tile / per_image, y0 = tile % per_image / tiles_w * 4, x0 = tile % tiles_w * 4;
        for (int64_t b = 0; b < in_blocks; b++) LoadTransformInput(s, i, b, y0, x0, v.data() + t * f.icp + b * kLanes, v_stride);
      }
      // Inside the parallel region oneDNN's sgemm runs on the calling thread alone.
      for (int xi = 0; xi < kXi; xi++)
        if (dnnl_sgemm('N', 'N', count, f.ocp, f.icp, 1.f, v.data() + xi * v_stride, f.icp, f.u.data() + xi * f.icp * f.ocp,
                       f.ocp, 0.f, m.data() + xi * m_stride, f.ocp) != dnnl_success) {
#pragma omp atomic write
          failed = 1;
        }
      for (int64_t t = 0; t < count; t++) {
        const int64_t tile = first + t, i = tile / per_image, y0 = tile % per_image / tiles_w * 4, x0 = tile % tiles_w * 4;
        for (int64_t ob = 0; ob < out_blocks; ob++)
          TransformStoreOutput(m.data() + t * f.ocp + ob * kLanes, m_stride, f.bias.data() + ob * kLanes, relu, d, i, ob, y0, x0);
      }
    }
  }
  if (failed) throw std::runtime_error("winograd: oneDNN sgemm failed");
}

}  // namespace plan
}  // namespace nst
