// Winograd F(4×4, 3×3) convolution on the plan's 8-lane blocked layout (AVX2), for the 3×3 stride-1 convs of the
// inference plan. oneDNN 2.6 has Winograd only for AVX-512; on an AVX2 CPU its direct 3×3 conv already runs at the
// FMA units' peak (~175 GFLOP/s on 2 EPYC cores), so the only way past it is fewer multiplications: F(4×4, 3×3)
// needs 36 per 16 outputs and input channel instead of 144.
//
// Per group of output tiles (4×4 pixels each): the 6×6 input tiles are transformed (Bᵀ d B), 36 matrix products
// [tiles × IC]·[IC × OC] run on oneDNN's sgemm (one thread each, threads split the tile groups), then each tile's
// 6×6 products become 4×4 outputs (Aᵀ m A) with the bias and an optional ReLU (Lavin & Gray 2016).
#pragma once
#include "plan_kernels.h"

#include <cstdint>
#include <vector>

namespace nst {
namespace plan {

// The filter transformed once (G g Gᵀ, in double): [36][ICp][OCp], ICp/OCp the channels rounded up to the lanes,
// padding channels zero; the bias padded the same way.
struct WinogradFilter {
  int64_t ic = 0, oc = 0, icp = 0, ocp = 0;
  std::vector<float> u, bias;
  bool empty() const { return u.empty(); }
};

// True when WinogradForward can run here: an AVX2+FMA CPU and oneDNN at AVX2 (8 lanes), not AVX-512, where
// oneDNN's own Winograd is used.
bool WinogradAvailable(int64_t lanes);

// NST_PLAN_WINOGRAD=0: direct convs only (oneDNN's Winograd and ours off), in the plans and in the training kernels'
// own Winograd alike, to compare times.
bool WinogradOffByEnv();

// weights HWIO (3, 3, ic, oc); bias may be null.
WinogradFilter MakeWinogradFilter(const float* hwio, const float* bias, int64_t ic, int64_t oc, int64_t lanes);

// dst's interior (src's size, f.oc channels, any halo; the halo is not filled) = conv3×3(src) + bias, ReLU'd when
// `relu`. The padding is src's halo (its reflection, halo 1) or zeros (halo 0): pixels outside src's stored frame
// read as zero.
void WinogradForward(const Blocked& src, const WinogradFilter& f, bool relu, const Blocked& dst);

}  // namespace plan
}  // namespace nst
