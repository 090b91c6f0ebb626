#!/usr/bin/python3
"""Writes the small VGG weight fixtures for test/loss-network (run with Debian's python3-h5py: apt-get install -y python3-h5py).

Random weights with the real layer/dataset names and real shapes of VGG block1, in three layouts that must agree:
  vgg16-notop-block1.h5    the 2016-era published notop file layout: root attr layer_names, per-layer attr weight_names,
                           datasets block1_conv1/block1_conv1_W_1:0 and ..._b_1:0 (HWIO kernels)
  vgg19-keras2-block1.h5   a Keras 2 whole-model save: group model_weights, datasets block1_conv1/block1_conv1/kernel:0
  vgg16-block1-tfjs/       the same weights as the first file as a TensorFlow.js layers model (model.json + shards);
                           the manifest also lists block2_conv1, whose shard is absent (a truncated model)
  vgg16-features-block1.pth  the same weights as a torchvision state_dict (features.0/2.weight OIHW, .bias; torch
                           zip format) — written only when torch is importable (Debian: python3-torch)
  vgg16-legacy-block1.pth  features.0 only, in torch's legacy (< 1.6) serialization, to test the refusal message
plus an independent reference: relu1_1 and relu1_2 for a fixed 1x8x8x3 input, computed here with numpy in float64
after Keras caffe preprocessing (RGB->BGR, minus [103.939, 116.779, 123.68]), stored as float32 NHWC.
Deterministic (fixed seed); rerun to regenerate: /usr/bin/python3 scripts/make-h5-fixture.py
"""
import json
import os

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'vgg')
rng = np.random.default_rng(20161)


def he(shape):
    fan_in = shape[0] * shape[1] * shape[2]
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


w = {
    'block1_conv1': (he((3, 3, 3, 64)) * 20, (rng.standard_normal(64) * 0.5).astype(np.float32)),
    'block1_conv2': (he((3, 3, 64, 64)), (rng.standard_normal(64) * 0.5).astype(np.float32)),
}


def write_legacy_h5(path):
    with h5py.File(path, 'w') as f:
        f.attrs['layer_names'] = [n.encode() for n in ['input_1', 'block1_conv1', 'block1_conv2', 'block1_pool']]
        f.attrs['backend'] = b'tensorflow'
        f.attrs['keras_version'] = b'1.1.0'
        for layer in ['input_1', 'block1_pool']:
            g = f.create_group(layer)
            g.attrs['weight_names'] = []  # as Keras writes it: an empty float64 array
        for layer, (k, b) in w.items():
            g = f.create_group(layer)
            names = [f'{layer}_W_1:0', f'{layer}_b_1:0']
            g.attrs['weight_names'] = [n.encode() for n in names]
            g.create_dataset(names[0], data=k)
            g.create_dataset(names[1], data=b)


def write_keras2_h5(path):
    with h5py.File(path, 'w') as f:
        mw = f.create_group('model_weights')
        # Keras 2 writes attributes through np.asarray: fixed-length byte strings (the legacy file above has vlen ones).
        mw.attrs['layer_names'] = np.asarray([n.encode() for n in ['input_1', 'block1_conv1', 'block1_conv2']])
        mw.attrs['backend'] = b'tensorflow'
        mw.attrs['keras_version'] = b'2.3.1'
        mw.create_group('input_1').attrs['weight_names'] = []
        for layer, (k, b) in w.items():
            g = mw.create_group(layer)
            names = [f'{layer}/kernel:0', f'{layer}/bias:0']
            g.attrs['weight_names'] = np.asarray([n.encode() for n in names])
            g.create_dataset(names[0], data=k)
            g.create_dataset(names[1], data=b)


def write_tfjs(dirpath):
    os.makedirs(dirpath, exist_ok=True)
    manifest = []
    for i, (layer, (k, b)) in enumerate(w.items()):
        shard = f'group{i + 1}-shard1of1'
        with open(os.path.join(dirpath, shard), 'wb') as fh:
            fh.write(k.astype('<f4').tobytes() + b.astype('<f4').tobytes())
        manifest.append({'paths': [shard], 'weights': [
            {'name': f'{layer}/kernel', 'shape': list(k.shape), 'dtype': 'float32'},
            {'name': f'{layer}/bias', 'shape': list(b.shape), 'dtype': 'float32'}]})
    manifest.append({'paths': ['group3-shard1of1'], 'weights': [
        {'name': 'block2_conv1/kernel', 'shape': [3, 3, 64, 128], 'dtype': 'float32'},
        {'name': 'block2_conv1/bias', 'shape': [128], 'dtype': 'float32'}]})
    topology = {'class_name': 'Model', 'config': {'name': 'vgg16'}}
    with open(os.path.join(dirpath, 'model.json'), 'w') as fh:
        json.dump({'modelTopology': {'model_config': topology}, 'weightsManifest': manifest}, fh, indent=1)


def conv_same_relu(x, k, b):
    n, h, wd, _ = x.shape
    p = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    out = np.zeros((n, h, wd, k.shape[3]))
    for dy in range(3):
        for dx in range(3):
            out += np.einsum('nhwc,co->nhwo', p[:, dy:dy + h, dx:dx + wd, :], k[dy, dx].astype(np.float64))
    return np.maximum(out + b, 0)


def write_reference():
    yy, xx = np.meshgrid(np.arange(8), np.arange(8), indexing='ij')
    rgb = np.stack([xx * 30 + 10, yy * 30 + 5, (xx + yy) * 15 + 20], axis=-1)[None].astype(np.float64)  # 0..255
    bgr = rgb[..., ::-1] - np.array([103.939, 116.779, 123.68])
    r11 = conv_same_relu(bgr, *w['block1_conv1'])
    r12 = conv_same_relu(r11, *w['block1_conv2'])
    rgb.astype('<f4').tofile(os.path.join(OUT, 'input-8x8.f32'))
    r11.astype('<f4').tofile(os.path.join(OUT, 'relu1_1-8x8.f32'))
    r12.astype('<f4').tofile(os.path.join(OUT, 'relu1_2-8x8.f32'))
    # torchvision preprocessing: RGB/255, minus mean, over std.
    norm = (rgb / 255.0 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    t12 = conv_same_relu(conv_same_relu(norm, *w['block1_conv1']), *w['block1_conv2'])
    t12.astype('<f4').tofile(os.path.join(OUT, 'relu1_2-8x8-torch.f32'))


def write_torch():
    try:
        import torch
    except ImportError:
        print('torch not importable: skipping the .pth fixtures')
        return
    sd = {}
    for idx, layer in [(0, 'block1_conv1'), (2, 'block1_conv2')]:
        k, b = w[layer]
        sd[f'features.{idx}.weight'] = torch.from_numpy(np.ascontiguousarray(k.transpose(3, 2, 0, 1)))  # HWIO -> OIHW
        sd[f'features.{idx}.bias'] = torch.from_numpy(b)
    torch.save(sd, os.path.join(OUT, 'vgg16-features-block1.pth'))
    legacy = {'features.0.weight': sd['features.0.weight'], 'features.0.bias': sd['features.0.bias']}
    torch.save(legacy, os.path.join(OUT, 'vgg16-legacy-block1.pth'), _use_new_zipfile_serialization=False)


os.makedirs(OUT, exist_ok=True)
write_legacy_h5(os.path.join(OUT, 'vgg16-notop-block1.h5'))
write_keras2_h5(os.path.join(OUT, 'vgg19-keras2-block1.h5'))
write_tfjs(os.path.join(OUT, 'vgg16-block1-tfjs'))
write_reference()
write_torch()
print('wrote', sorted(os.listdir(OUT)))
