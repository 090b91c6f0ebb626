/**
 * Reads VGG conv weights from a torchvision state_dict (`vgg16-397923af.pth`, `vgg19-dcbb9e9d.pth`, or any
 * `torch.save(vgg.state_dict())`): keys `features.N.weight` (OIHW [out,in,3,3]) and `features.N.bias`, where N is the
 * index in torchvision's `features` Sequential (conv, ReLU, …, MaxPool). The classifier is ignored.
 */
import { InputError } from '../../../errors';
import { readTorchStateDict, TorchStateDict } from '../../../io/torch-pth';
import type { RawConv, RawVggWeights } from '../types';
import { archFromFileName, VggArch, vggLayout } from '../vgg-layout';

/** `features.16.weight`, `module.features.16.weight` (DataParallel) → { index: 16, kind: 'weight' }. */
export function parseFeatureKey(key: string): { index: number; kind: 'weight' | 'bias' } | undefined {
  const m = /(?:^|\.)features\.(\d+)\.(weight|bias)$/.exec(key);
  return m ? { index: Number(m[1]), kind: m[2] as 'weight' | 'bias' } : undefined;
}

/**
 * The two nets agree up to features.14 (block3_conv3); after that, a conv at 16 means VGG19 (block3_conv4) and a conv
 * at 17 means VGG16 (block4_conv1, after the pool at 16).
 */
export function archFromFeatureIndices(indices: Set<number>): VggArch | undefined {
  if (indices.has(16)) return 'vgg19';
  if (indices.has(17)) return 'vgg16';
  return undefined;
}

function isBatchNormVgg(sd: TorchStateDict): boolean {
  return [...sd.keys()].some((k) => /(?:^|\.)features\.\d+\.running_mean$/.test(k));
}

export async function readTorchVgg(file: string): Promise<RawVggWeights> {
  // Both torch serializations: the zip format (torch >= 1.6) and the legacy one torchvision's published files use.
  const sd: TorchStateDict = readTorchStateDict(file);
  if (isBatchNormVgg(sd)) {
    throw new InputError(`${file}: a batch-norm VGG (vgg16_bn/vgg19_bn); perceptual losses here use the plain VGG16/VGG19 weights`);
  }
  const convIndices = new Set<number>();
  for (const [key, t] of sd) {
    const id = parseFeatureKey(key);
    if (id?.kind === 'weight' && t.shape.length === 4) convIndices.add(id.index);
  }
  if (convIndices.size === 0) throw new InputError(`${file}: no features.N.weight convolution keys — not a torchvision VGG state_dict`);
  const archHint = archFromFeatureIndices(convIndices) ?? archFromFileName(file);
  // Up to features.14 both layouts name the same convs, so an undecided file can be read with either.
  const layout = vggLayout(archHint ?? 'vgg19');
  const byIndex = new Map(layout.map((s) => [s.torchIndex, s]));
  const convs = new Map<string, RawConv>();
  const declared: string[] = [];
  const find = (index: number, kind: string) => [...sd].find(([k]) => parseFeatureKey(k)?.index === index && k.endsWith(`.${kind}`))?.[1];
  for (const index of [...convIndices].sort((a, b) => a - b)) {
    const spec = byIndex.get(index);
    if (!spec) throw new InputError(`${file}: features.${index} is a convolution, which no ${archHint ?? 'VGG'} layout has there — not a torchvision VGG`);
    declared.push(spec.name);
    const weight = find(index, 'weight')!;
    const bias = find(index, 'bias');
    if (!bias) throw new InputError(`${file}: features.${index}.bias is missing`);
    convs.set(spec.name, { kernel: weight.data, kernelShape: weight.shape, layout: 'OIHW', bias: bias.data });
  }
  return { format: 'torchvision pth', preprocessing: 'torch', convs, declared, archHint };
}
