#!/usr/bin/env bash
# udnie with the defaults of nst train (batch 1, 256², lr 4e-3, weights 10 : 5 : 1, softclip head) plus an
# inverse-time decay (2e-4: the rate falls to ~1e-3 by step ~15 000), within an 8-hour budget spread over sessions.
# Started 2026-12-03 on an AMD EPYC, 2 cores, AVX2 only. Continue with:
#   node bin/nst.js train --resume training-runs/udnie-night --budget 8h
node bin/nst.js train --style ../shared/data/styles/udnie.jpg --data ../shared/data/content/imagenet-sample \
  --out training-runs/udnie-night --budget 8h --lr-decay 2e-4 --seed 1
