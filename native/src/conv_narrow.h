// Convs with very few output channels (the style net's last 9x9 32→3 layer). oneDNN's kernels vectorise
// over output channels in blocks of 16, so 3 channels fill 3/16 of each vector and run ~10x below peak. This kernel
// vectorises over input channels instead (contiguous in NHWC) and reuses each loaded weight vector across 4 output
// pixels; the filter gradient likewise vectorises over input channels (see conv_narrow.cc). AVX-512 only: NarrowOutAvailable() says whether it can run here.
#pragma once
#include <cstdint>

namespace nst {
namespace convsupport {

// Geometry of a conv (NHWC input, HWIO filter; dilations tfjs-style, 1 = dense; leading pads only: trailing padding
// is implied by the output size).
struct NarrowConv {
  int64_t n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl;
};

constexpr int64_t kNarrowOutMaxChannels = 4;

// True when the CPU has AVX-512F (the kernel's only instruction set).
bool NarrowOutAvailable();

// y = act(conv(x, w) + bias); bias may be null; g.oc <= kNarrowOutMaxChannels. Activation codes as in conv.cc
// (0 linear, 1 relu, 2 relu6, 3 leaky relu with `alpha`).
void NarrowOutForward(const NarrowConv& g, const float* x, const float* w, const float* bias, float* y, int activation,
                      float alpha);

// dw (HWIO) = the gradient w.r.t. the filter; same limits. oneDNN runs this at 3/16 width too.
void NarrowOutBackwardWeights(const NarrowConv& g, const float* x, const float* dy, float* dw);

}  // namespace convsupport
}  // namespace nst
