/**
 * The published ImageNet VGG weight files we know by name: where their publisher serves them and how to verify them.
 * `nst weights fetch` downloads from here; the lookup recognises these names in the cache folder.
 */
import type { VggArch } from './vgg-layout';

export interface ExpectedHash {
  algorithm: 'sha256' | 'md5';
  /** Hex digest, or its leading part when only a prefix is published (torchvision names carry 8 hex digits of SHA-256). */
  hex: string;
}

export interface KnownWeights {
  arch: VggArch;
  source: 'torchvision' | 'keras';
  fileName: string;
  url: string;
  hash: ExpectedHash;
  /** Approximate size, for messages. */
  sizeMB: number;
}

export const KNOWN_WEIGHTS: KnownWeights[] = [
  {
    arch: 'vgg16',
    source: 'torchvision',
    fileName: 'vgg16-397923af.pth',
    url: 'https://download.pytorch.org/models/vgg16-397923af.pth',
    // torchvision's check_hash compares this prefix of the file's SHA-256 (it is the hash in the file name).
    hash: { algorithm: 'sha256', hex: '397923af' },
    sizeMB: 528,
  },
  {
    arch: 'vgg19',
    source: 'torchvision',
    fileName: 'vgg19-dcbb9e9d.pth',
    url: 'https://download.pytorch.org/models/vgg19-dcbb9e9d.pth',
    hash: { algorithm: 'sha256', hex: 'dcbb9e9d' },
    sizeMB: 548,
  },
  {
    arch: 'vgg16',
    source: 'keras',
    fileName: 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
    url: 'https://storage.googleapis.com/tensorflow/keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
    // keras.applications publishes MD5 (file_hash) for these, not SHA-256.
    hash: { algorithm: 'md5', hex: '6d6bbae143d832006294945121d1f1fc' },
    sizeMB: 56,
  },
  {
    arch: 'vgg19',
    source: 'keras',
    fileName: 'vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5',
    url: 'https://storage.googleapis.com/tensorflow/keras-applications/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5',
    hash: { algorithm: 'md5', hex: '253f8cb515780f3b799900260a226db6' },
    sizeMB: 77,
  },
];

export function knownWeightsFor(arch: VggArch, source: KnownWeights['source']): KnownWeights {
  const k = KNOWN_WEIGHTS.find((w) => w.arch === arch && w.source === source);
  if (!k) throw new Error(`no catalog entry for ${arch} from ${source}`);
  return k;
}
