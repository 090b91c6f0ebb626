// NHWC ↔ the 8-lane blocked layout around plan::WinogradForward (see conv_winograd.h). The input goes into a blocked
// buffer with a one-pixel halo whose frame holds x at offset `pad`, zeros around it: WinogradForward pads with what
// the halo holds (here zeros) and reads anything past the frame as zero, which covers the pad-2 case as well.
#include "conv_winograd.h"

#include "conv_support.h"
#include "winograd.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace nst {
namespace convsupport {

namespace {

constexpr int64_t kLanes = 8;

// x (NHWC) → s's frame at offset `pad` of its stored frame (interior plus halo), zeros elsewhere.
void ToBlocked(const float* x, int64_t ih, int64_t iw, int64_t pad, const plan::Blocked& s) {
  const int64_t hs = s.hp(), ws = s.wp(), blocks = s.blocks(), c = s.c;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < s.n; i++)
    for (int64_t b = 0; b < blocks; b++) {
      const int64_t lanes = std::min(kLanes, c - b * kLanes);
      for (int64_t ys = 0; ys < hs; ys++) {
        float* row = s.at(i, b, ys - s.halo, -s.halo);
        const int64_t y = ys - pad;
        if (y < 0 || y >= ih) {
          std::memset(row, 0, size_t(ws * kLanes) * sizeof(float));
          continue;
        }
        const float* src = x + ((i * ih + y) * iw) * c + b * kLanes;
        for (int64_t xs = 0; xs < ws; xs++) {
          float* px = row + xs * kLanes;
          const int64_t xx = xs - pad;
          if (xx < 0 || xx >= iw) {
            std::memset(px, 0, kLanes * sizeof(float));
            continue;
          }
          std::memcpy(px, src + xx * c, size_t(lanes) * sizeof(float));
          if (lanes < kLanes) std::memset(px + lanes, 0, size_t(kLanes - lanes) * sizeof(float));
        }
      }
    }
}

// d's interior (no halo) → y (NHWC).
void FromBlocked(const plan::Blocked& d, float* y) {
  const int64_t blocks = d.blocks(), c = d.c;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < d.n; i++)
    for (int64_t r = 0; r < d.h; r++)
      for (int64_t b = 0; b < blocks; b++) {
        const int64_t lanes = std::min(kLanes, c - b * kLanes);
        const float* src = d.at(i, b, r, 0);
        float* dst = y + ((i * d.h + r) * d.w) * c + b * kLanes;
        for (int64_t x = 0; x < d.w; x++) std::memcpy(dst + x * c, src + x * kLanes, size_t(lanes) * sizeof(float));
      }
}

}  // namespace

bool OwnWinogradWanted() {
  static const bool wanted = !plan::WinogradOffByEnv() && plan::WinogradAvailable(kLanes) && !plan::NarrowBlockedAvailable(16);
  return wanted;
}

void OwnWinogradNhwc(const float* x, int64_t n, int64_t ih, int64_t iw, int64_t ic, int64_t pad, const float* hwio,
                     const float* bias, int64_t oc, bool relu, float* y) {
  if (pad < 0 || pad > 2 || ih + 2 * pad < 3 || iw + 2 * pad < 3) throw std::invalid_argument("own winograd: pad 0, 1 or 2");
  const plan::WinogradFilter f = plan::MakeWinogradFilter(hwio, bias, ic, oc, kLanes);
  plan::Blocked s{nullptr, n, ic, ih + 2 * pad - 2, iw + 2 * pad - 2, 1, kLanes};
  plan::Blocked d{nullptr, n, oc, s.h, s.w, 0, kLanes};
  s.data = static_cast<float*>(Arena(kSlotSrc, size_t(s.floats()) * sizeof(float)));
  d.data = static_cast<float*>(Arena(kSlotDst, size_t(d.floats()) * sizeof(float)));
  ToBlocked(x, ih, iw, pad, s);
  plan::WinogradForward(s, f, relu, d);
  FromBlocked(d, y);
}

void OwnWinogradBackwardData(const float* dy, int64_t n, int64_t oh, int64_t ow, int64_t oc, int64_t pad,
                             const float* hwio, int64_t ic, float* dx) {
  if (pad < 0 || pad > 1) throw std::invalid_argument("own winograd: the data gradient takes pad 0 or 1");
  std::vector<float> rotated(size_t(9 * ic * oc));  // [3][3][oc][ic]
  for (int64_t t = 0; t < 9; t++)
    for (int64_t i = 0; i < ic; i++)
      for (int64_t o = 0; o < oc; o++) rotated[size_t((t * oc + o) * ic + i)] = hwio[((8 - t) * ic + i) * oc + o];
  OwnWinogradNhwc(dy, n, oh, ow, oc, 2 - pad, rotated.data(), nullptr, ic, false, dx);
}

}  // namespace convsupport
}  // namespace nst
