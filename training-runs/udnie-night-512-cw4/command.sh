#!/usr/bin/env bash
# udnie as training-runs/udnie-night-512 (defaults + --lr-decay 2e-4, seed 1, 8 h, style image at its own 512 px), with
# content weight 4 instead of 10: that night held the photo ever better (held-out content 0.35 at step 4730) while the
# style at udnie's scale stalled (0.84; Engstrom's udnie 0.24 at content 1.22); in 12 minutes content 4 gave style 0.79
# at content 1.02, content 10 0.92 at 0.58 (docs/training.md, "Lighter content weights with the style at 512 px").
# Started 2026-12-03 on an AMD EPYC, 2 cores, AVX2 only. Continue with:
#   node bin/nst.js train --resume training-runs/udnie-night-512-cw4 --budget 8h
node bin/nst.js train --style ../shared/data/styles/udnie.jpg --data ../shared/data/content/imagenet-sample \
  --out training-runs/udnie-night-512-cw4 --budget 8h --lr-decay 2e-4 --seed 1 --style-size 512 --content-weight 4
