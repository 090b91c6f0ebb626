#!/usr/bin/env bash
# udnie as training-runs/udnie-night, but with the style image at its own 512 px (--style-size 512, as Engstrom's
# published udnie was trained) instead of the 256² crops' size: measured against udnie at 512 px over a 3-level pyramid,
# the 256-px night run at step 1980 scored style 1.89 and Engstrom's udnie 0.24; a 12-minute run at 512 px 0.92
# (docs/training.md, "Style size"). Everything else is the first night's: defaults + --lr-decay 2e-4, seed 1, 8 h.
# Started 2026-12-03 on an AMD EPYC, 2 cores, AVX2 only. Continue with:
#   node bin/nst.js train --resume training-runs/udnie-night-512 --budget 8h
node bin/nst.js train --style ../shared/data/styles/udnie.jpg --data ../shared/data/content/imagenet-sample \
  --out training-runs/udnie-night-512 --budget 8h --lr-decay 2e-4 --seed 1 --style-size 512
