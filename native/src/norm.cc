// Instance normalization of NHWC float32 tensors, forward and backward, each in a few streaming passes.
//
// Forward, per image n and channel c over the H*W pixels (biased variance, as PyTorch's InstanceNorm2d):
//   mean = sum(x) / M,  rstd = 1 / sqrt(sum((x - mean)^2) / M + eps),  y = gamma * (x - mean) * rstd + beta
// mean and rstd are returned so the backward pass need not recompute them. Backward, with xhat = (x - mean) * rstd:
//   dbeta = sum_n,hw dy,  dgamma = sum_n,hw dy * xhat,
//   dx = gamma * rstd * (dy - sum_hw(dy) / M - xhat * sum_hw(dy * xhat) / M)
// Statistics accumulate in double (two passes for the variance, so no cancellation), one image at a time with the
// pixels of that image split over the threads, which keeps both cores busy at batch 1.
//
//   instanceNormF32(x, [N,H,W,C], gamma, beta, eps, y, mean[N*C], rstd[N*C])
//   instanceNormGradF32(dy, x, [N,H,W,C], gamma, mean, rstd, dx, dgamma[C], dbeta[C])
#include "eltwise_ops.h"
#include <omp.h>
#include <cmath>

namespace nst {
namespace {

using eltwise::F32Exact;
using eltwise::ParallelMin;
using eltwise::Volume;

// acc[k*C + c] = sum over the pixels p of one image of what add_pixel(p, local) adds to local[k*C + c], K accumulators
// per channel. Each thread sums its slice of pixels into a private buffer; buffers combine in thread order, so the
// result does not depend on scheduling.
template <int K, typename F>
void PixelSums(int64_t pixels, int64_t channels, double* acc, F add_pixel) {
  const bool parallel = pixels * channels >= ParallelMin();
  const int threads = parallel ? omp_get_max_threads() : 1;
  const size_t width = size_t(K * channels);
  std::vector<double> partial(size_t(threads) * width, 0.0);
#pragma omp parallel num_threads(threads) if (parallel)
  {
    double* local = partial.data() + size_t(omp_get_thread_num()) * width;
#pragma omp for schedule(static)
    for (int64_t p = 0; p < pixels; p++) add_pixel(p, local);
  }
  for (size_t i = 0; i < width; i++) {
    double s = 0;
    for (int t = 0; t < threads; t++) s += partial[size_t(t) * width + i];
    acc[i] = s;
  }
}

struct NhwcShape {
  int64_t n, pixels, c;
  static NhwcShape From(const Napi::Value& v) {
    auto s = dims(v, "shape");
    if (s.size() != 4) throw std::invalid_argument("instance norm expects an NHWC (rank-4) tensor");
    Volume(s);
    if (s[1] * s[2] == 0) throw std::invalid_argument("instance norm over an empty image");
    return {s[0], s[1] * s[2], s[3]};
  }
  int64_t size() const { return n * pixels * c; }
  int64_t image() const { return pixels * c; }
};

Napi::Value InstanceNormF32(const Napi::CallbackInfo& info) {
  return guarded(info, "instanceNormF32", [&]() -> Napi::Value {
    const auto s = NhwcShape::From(info[1]);
    const float* x = F32Exact(info[0], "x", s.size());
    const float* gamma = F32Exact(info[2], "gamma", s.c);
    const float* beta = F32Exact(info[3], "beta", s.c);
    const double eps = info[4].As<Napi::Number>().DoubleValue();
    float* y = F32Exact(info[5], "y", s.size());
    float* mean_out = F32Exact(info[6], "mean", s.n * s.c);
    float* rstd_out = F32Exact(info[7], "rstd", s.n * s.c);
    const int64_t C = s.c;
    const size_t nc = static_cast<size_t>(C);
    std::vector<double> sum(nc), mean(nc), sq(nc);
    std::vector<float> center(nc), scale(nc);
    for (int64_t n = 0; n < s.n; n++) {
      const float* xi = x + n * s.image();
      float* yi = y + n * s.image();
      PixelSums<1>(s.pixels, C, sum.data(), [&](int64_t p, double* acc) {
        const float* px = xi + p * C;
        for (int64_t c = 0; c < C; c++) acc[c] += px[c];
      });
      for (int64_t c = 0; c < C; c++) mean[size_t(c)] = sum[size_t(c)] / double(s.pixels);
      const double* m = mean.data();
      PixelSums<1>(s.pixels, C, sq.data(), [&](int64_t p, double* acc) {
        const float* px = xi + p * C;
        for (int64_t c = 0; c < C; c++) {
          const double d = double(px[c]) - m[c];
          acc[c] += d * d;
        }
      });
      for (int64_t c = 0; c < C; c++) {
        const double rstd = 1.0 / std::sqrt(sq[size_t(c)] / double(s.pixels) + eps);
        mean_out[n * C + c] = float(mean[size_t(c)]);
        rstd_out[n * C + c] = float(rstd);
        center[size_t(c)] = float(mean[size_t(c)]);
        scale[size_t(c)] = float(gamma[c] * rstd);
      }
      // (x - mean) first: folding mean into a shift would cancel catastrophically when |mean| >> std (0-255 input).
      const float* mu = center.data();
      const float* sc = scale.data();
#pragma omp parallel for schedule(static) if (s.image() >= ParallelMin())
      for (int64_t p = 0; p < s.pixels; p++) {
        const float* px = xi + p * C;
        float* py = yi + p * C;
        for (int64_t c = 0; c < C; c++) py[c] = (px[c] - mu[c]) * sc[c] + beta[c];
      }
    }
    return info.Env().Undefined();
  });
}

Napi::Value InstanceNormGradF32(const Napi::CallbackInfo& info) {
  return guarded(info, "instanceNormGradF32", [&]() -> Napi::Value {
    const auto s = NhwcShape::From(info[2]);
    const float* dy = F32Exact(info[0], "dy", s.size());
    const float* x = F32Exact(info[1], "x", s.size());
    const float* gamma = F32Exact(info[3], "gamma", s.c);
    const float* mean = F32Exact(info[4], "mean", s.n * s.c);
    const float* rstd = F32Exact(info[5], "rstd", s.n * s.c);
    float* dx = F32Exact(info[6], "dx", s.size());
    float* dgamma = F32Exact(info[7], "dgamma", s.c);
    float* dbeta = F32Exact(info[8], "dbeta", s.c);
    const int64_t C = s.c;
    const double M = double(s.pixels);
    const size_t nc = static_cast<size_t>(C);
    std::vector<double> sums(2 * nc), dgamma_acc(nc, 0.0), dbeta_acc(nc, 0.0);
    std::vector<float> dy_scale(nc), x_scale(nc), dy_mean(nc);
    for (int64_t n = 0; n < s.n; n++) {
      const float* dyi = dy + n * s.image();
      const float* xi = x + n * s.image();
      float* dxi = dx + n * s.image();
      const float* mu = mean + n * C;
      const float* rs = rstd + n * C;
      // sums[c] = sum(dy), sums[C + c] = sum(dy * xhat)
      PixelSums<2>(s.pixels, C, sums.data(), [&](int64_t p, double* acc) {
        const float* g = dyi + p * C;
        const float* px = xi + p * C;
        for (int64_t c = 0; c < C; c++) {
          acc[c] += g[c];
          acc[C + c] += double(g[c]) * (double(px[c]) - mu[c]) * rs[c];
        }
      });
      // dx = a*(dy - mean(dy)) + b*(x - mean) with a = gamma*rstd, b = -a*rstd*sum(dy*xhat)/M. Centring dy and x
      // before scaling keeps exact zeros exact (a 1x1 image has dx = 0) and avoids cancelling large terms.
      for (int64_t c = 0; c < C; c++) {
        const double sum_dy = sums[size_t(c)], sum_dy_xhat = sums[size_t(C + c)];
        dbeta_acc[size_t(c)] += sum_dy;
        dgamma_acc[size_t(c)] += sum_dy_xhat;
        const double a = double(gamma[c]) * rs[c];
        const double b = -a * rs[c] * sum_dy_xhat / M;
        dy_scale[size_t(c)] = float(a);
        x_scale[size_t(c)] = float(b);
        dy_mean[size_t(c)] = float(sum_dy / M);
      }
      const float* ka = dy_scale.data();
      const float* kb = x_scale.data();
      const float* mdy = dy_mean.data();
#pragma omp parallel for schedule(static) if (s.image() >= ParallelMin())
      for (int64_t p = 0; p < s.pixels; p++) {
        const float* g = dyi + p * C;
        const float* px = xi + p * C;
        float* d = dxi + p * C;
        for (int64_t c = 0; c < C; c++) d[c] = ka[c] * (g[c] - mdy[c]) + kb[c] * (px[c] - mu[c]);
      }
    }
    for (int64_t c = 0; c < C; c++) {
      dgamma[c] = float(dgamma_acc[size_t(c)]);
      dbeta[c] = float(dbeta_acc[size_t(c)]);
    }
    return info.Env().Undefined();
  });
}

}  // namespace

void InitNorm(Napi::Env env, Napi::Object exports) {
  exports.Set("instanceNormF32", Napi::Function::New(env, InstanceNormF32));
  exports.Set("instanceNormGradF32", Napi::Function::New(env, InstanceNormGradF32));
}

}  // namespace nst
