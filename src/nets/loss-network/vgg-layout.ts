/**
 * The VGG16/VGG19 feature stacks as data: which convolutions exist, in which order, and what each ReLU tap is called.
 * Pure tables and functions, shared by every weight format (each maps its own names onto these canonical ones).
 */
export type VggArch = 'vgg16' | 'vgg19';

/** One 3×3 convolution: Keras-style name (`block3_conv2`), its ReLU tap name (`relu3_2`), channels. */
export interface VggConvSpec {
  readonly name: string;
  readonly tap: string;
  readonly block: number;
  readonly index: number;
  readonly inChannels: number;
  readonly outChannels: number;
  /** torchvision `features.N` index of this conv (ReLU is N+1, a max-pool follows the last conv of a block). */
  readonly torchIndex: number;
}

const BLOCK_CHANNELS = [64, 128, 256, 512, 512];
const CONVS_PER_BLOCK: Record<VggArch, number[]> = {
  vgg16: [2, 2, 3, 3, 3],
  vgg19: [2, 2, 4, 4, 4],
};

export function vggLayout(arch: VggArch): VggConvSpec[] {
  const out: VggConvSpec[] = [];
  let inChannels = 3;
  let torchIndex = 0;
  CONVS_PER_BLOCK[arch].forEach((count, b) => {
    for (let c = 1; c <= count; c++) {
      const block = b + 1;
      out.push({
        name: `block${block}_conv${c}`,
        tap: `relu${block}_${c}`,
        block,
        index: c,
        inChannels,
        outChannels: BLOCK_CHANNELS[b],
        torchIndex,
      });
      inChannels = BLOCK_CHANNELS[b];
      torchIndex += 2; // conv, relu
    }
    torchIndex += 1; // max-pool
  });
  return out;
}

/** Every tap name of an architecture, shallow to deep. */
export function vggTaps(arch: VggArch): string[] {
  return vggLayout(arch).map((c) => c.tap);
}

/** VGG19 is the only one with a fourth conv in blocks 3–5: seeing one settles the architecture. */
export function archFromConvNames(names: Iterable<string>): VggArch | undefined {
  for (const n of names) if (/^block[345]_conv4$/.test(n)) return 'vgg19';
  const all = [...names];
  // block3_conv3 followed by block4_conv1 without a block3_conv4 means VGG16.
  if (all.includes('block3_conv3') && all.includes('block4_conv1') && !all.includes('block3_conv4')) return 'vgg16';
  return undefined;
}

/** `vgg19_weights…h5` → vgg19: a hint for files too truncated to tell (block1–2 are identical in both). */
export function archFromFileName(file: string): VggArch | undefined {
  const base = file.toLowerCase();
  if (base.includes('vgg19')) return 'vgg19';
  if (base.includes('vgg16')) return 'vgg16';
  return undefined;
}
