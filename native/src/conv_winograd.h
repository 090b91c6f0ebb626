// The training kernels' 3×3 stride-1 convs (NHWC in and out, forward and data gradient) on our AVX2 Winograd
// (winograd.h), on CPUs where oneDNN 2.6 has no Winograd of its own (no AVX-512). There its direct kernels already
// run at the FMA peak, so fewer multiplications are the only way to go faster: measured on AMD EPYC (AVX2), a
// 128→128 conv at 64² takes 2.9 ms against 6.9 ms direct.
#pragma once
#include <cstdint>

namespace nst {
namespace convsupport {

// True on a CPU where OwnWinogradNhwc runs and oneDNN has no Winograd (AVX2 without AVX-512).
bool OwnWinogradWanted();

// y (NHWC n × oh × ow × oc, oh = ih + 2·pad − 2) = conv3×3(x zero-padded by `pad` ∈ {0, 1, 2} on every side, hwio)
// + bias (may be null), ReLU'd when `relu`. x is NHWC n × ih × iw × ic; hwio is the filter (3, 3, ic, oc).
void OwnWinogradNhwc(const float* x, int64_t n, int64_t ih, int64_t iw, int64_t ic, int64_t pad, const float* hwio,
                     const float* bias, int64_t oc, bool relu, float* y);

// The data gradient of a 3×3 stride-1 conv padded by `pad` ∈ {0, 1} on every side, whose input is n × ih × iw × ic
// and output n × oh × ow × oc: dx = dy zero-padded by 2 − pad, correlated with the filter rotated 180° and its
// in/out channels swapped.
void OwnWinogradBackwardData(const float* dy, int64_t n, int64_t oh, int64_t ow, int64_t oc, int64_t pad,
                             const float* hwio, int64_t ic, float* dx);

}  // namespace convsupport
}  // namespace nst
