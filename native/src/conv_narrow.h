// Convs with very few output channels (the style net's last 9x9 32→3 layer): oneDNN's kernels vectorise over output
// channels in blocks of 16, so 3 channels use 3/16 of each vector and run ~10x below peak. This path moves the wide
// dimension into a matmul instead (see conv_narrow.cc).
#pragma once
#include <cstdint>

namespace nst {
namespace convsupport {

// Geometry of a conv (NHWC input, HWIO filter; dilations tfjs-style, 1 = dense; leading pads only: trailing padding
// is implied by the output size).
struct NarrowConv {
  int64_t n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl;
};

// y = act(conv(x, w) + bias); bias may be null. Activation codes as in conv.cc (0 linear, 1 relu, 2 relu6, 3 leaky).
void NarrowOutForward(const NarrowConv& g, const float* x, const float* w, const float* bias, float* y, int activation,
                      float alpha);
// dx = the gradient w.r.t. the conv input.
void NarrowOutBackwardData(const NarrowConv& g, const float* dy, const float* w, float* dx);
// dw = the gradient w.r.t. the filter (HWIO).
void NarrowOutBackwardWeights(const NarrowConv& g, const float* x, const float* dy, float* dw);

}  // namespace convsupport
}  // namespace nst
