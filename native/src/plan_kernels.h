// Kernels of the whole-network inference plan (plan.cc) that work directly on oneDNN's blocked activation layout
// nChw{L}c (L = 16 on AVX-512, 8 on AVX2): channel block b of pixel (y, x) of image n is L contiguous floats at
// ((n·blocks + b)·Hp + y)·Wp·L + x·L. Each activation may carry a halo of `halo` pixels on every side (Hp = H + 2·halo)
// that holds the reflection padding of the conv reading it, so that conv runs unpadded and no separate pad pass exists.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <vector>

namespace nst {
namespace plan {

// Whether oneDNN runs with (at least) this ISA here: its kernels and ours dispatch on the same answer, so the
// plan's lane count and the narrow kernel never disagree with the primitives around them.
bool OneDnnHas(dnnl::cpu_isa isa);

// One blocked activation: logical size (n, c, h, w), stored with `halo` pixels each side, `lanes` channels per block.
struct Blocked {
  float* data = nullptr;
  int64_t n = 0, c = 0, h = 0, w = 0, halo = 0, lanes = 16;
  int64_t blocks() const { return (c + lanes - 1) / lanes; }
  int64_t hp() const { return h + 2 * halo; }
  int64_t wp() const { return w + 2 * halo; }
  int64_t plane() const { return hp() * wp() * lanes; }  // floats of one channel block of one image
  int64_t floats() const { return n * blocks() * plane(); }
  // Pointer to interior pixel (y, x) of block b of image i (y, x may reach into the halo: -halo..h+halo-1).
  float* at(int64_t i, int64_t b, int64_t y, int64_t x) const {
    return data + ((i * blocks() + b) * hp() + (y + halo)) * wp() * lanes + (x + halo) * lanes;
  }
};

// Fills dst's halo with the reflection (PyTorch ReflectionPad2d: the edge pixel is not repeated) of its interior.
void FillReflectHalo(const Blocked& dst);

// dst = relu?(gamma·(src − mean)/sqrt(var + eps) + beta) [+ residual], statistics per image and channel over the
// interior pixels (biased variance, accumulated in double, two passes). src has no halo; dst and residual may have
// one (dst's is filled by reflection afterwards). `residual` may be null. The ReLU comes before the residual add
// (the transformer's residual blocks have none after the add). When dst is twice src's size, each output pixel is
// written 2×2 times: the norm and a following nearest ×2 upsampling in one pass.
// With `frozen` (mean and 1/sqrt(var + eps) per channel, for every image) the statistics are not computed: tiles of
// one image normalised with the whole image's (src/infer/tile-stats.ts).
struct FrozenStats {
  std::vector<float> mean, rstd;
  bool empty() const { return mean.empty(); }
};
void InstanceNorm(const Blocked& src, const float* gamma, const float* beta, double eps, bool relu,
                  const Blocked* residual, const Blocked& dst, const FrozenStats* frozen = nullptr);

// dst (2h × 2w, any halo, filled) = nearest-neighbour ×2 upsampling of src's interior.
void UpsampleNearest2x(const Blocked& src, const Blocked& dst);

// dst (⌊h/2⌋ × ⌊w/2⌋, any halo, filled) = 2×2 max pooling, stride 2, of src's interior (VGG's pools).
void MaxPool2x2(const Blocked& src, const Blocked& dst);

// dst's interior = src's interior (another halo), then the halo filled by reflection.
void CopyWithHalo(const Blocked& src, const Blocked& dst);

// NHWC (n, h, w, c) into an NHWC buffer with `pad` reflected pixels on every side.
// dst's interior = the NHWC batch src (dst's n, h, w, c); the lanes past c are zeroed, the halo filled by reflection.
void NhwcToBlocked(const float* src, const Blocked& dst);

// dst (NHWC, src's n, h, w, c) = src's interior.
void BlockedToNhwc(const Blocked& src, float* dst);

void ReflectPadNhwc(const float* src, int64_t n, int64_t h, int64_t w, int64_t c, int64_t pad, float* dst);

// True when NarrowBlockedForward can run here: AVX-512F (L = 16) or AVX2+FMA (L = 8) on this CPU, and the lane
// width matching the ISA oneDNN uses (so ONEDNN_MAX_CPU_ISA=AVX2 also switches our kernels to AVX2).
bool NarrowBlockedAvailable(int64_t lanes);

// y (NHWC, oc ≤ 4 channels) = conv(src, w) + bias, stride 1, no padding (src's halo holds it): a kh × kw conv whose
// input is a blocked activation. Vectorised over input channels (one block per vector), 4 output pixels per
// register block, so each weight vector serves 4 FMAs (oneDNN's kernels vectorise over output channels: 3 of 16
// lanes busy). wt is the filter as NarrowBlockedWeights arranges it.
void NarrowBlockedForward(const Blocked& src, int64_t kh, int64_t kw, int64_t oc, const float* wt, const float* bias,
                          float* y);

// An HWIO filter rearranged for NarrowBlockedForward: [o][tap][channel block][lane], channels past ic zero.
std::vector<float> NarrowBlockedWeights(const float* w, int64_t kh, int64_t kw, int64_t ic, int64_t oc, int64_t lanes);

}  // namespace plan
}  // namespace nst
