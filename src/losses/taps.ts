/**
 * Which loss-network taps a run uses. The defaults (Johnson et al.: style relu1_2, relu2_2, relu3_3, relu4_3; content
 * relu2_2) assume a full VGG. When the loss network cannot serve a *default* tap (the truncated VGG19 on this machine
 * stops at relu3_4; the MobileNetV2 fallback names its taps differently) we substitute and say so; a tap the user
 * named explicitly is never substituted: that is an error.
 */
import { UsageError } from '../errors';

export const DEFAULT_STYLE_LAYERS = ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3'];
export const DEFAULT_CONTENT_LAYER = 'relu2_2';

export interface ResolvedTaps {
  styleLayers: string[];
  contentLayer: string;
  /** Human-readable substitutions made, one line each (empty when the defaults fit). */
  notes: string[];
}

const VGG_TAP = /^relu(\d+)_(\d+)$/;

/** The deepest available tap no deeper than `tap` (VGG naming), else the deepest available. */
function substitute(tap: string, available: string[]): string {
  const m = VGG_TAP.exec(tap);
  if (m) {
    const [block, index] = [Number(m[1]), Number(m[2])];
    const candidates = available.filter((t) => {
      const a = VGG_TAP.exec(t);
      return a && (Number(a[1]) < block || (Number(a[1]) === block && Number(a[2]) <= index));
    });
    if (candidates.length > 0) return candidates[candidates.length - 1];
  }
  return available[available.length - 1];
}

/** `count` taps spread over the depth of a network whose names share nothing with VGG's (shallow to deep). */
function spread(available: string[], count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = count === 1 ? available.length - 1 : Math.round((i * (available.length - 1)) / (count - 1));
    if (!out.includes(available[at])) out.push(available[at]);
  }
  return out;
}

export function resolveTaps(
  available: string[],
  requested: { styleLayers?: string[]; contentLayer?: string },
  networkName = 'the loss network',
): ResolvedTaps {
  if (available.length === 0) throw new UsageError(`${networkName} serves no taps`);
  const notes: string[] = [];
  const missingExplicit = [...(requested.styleLayers ?? []), ...(requested.contentLayer ? [requested.contentLayer] : [])].filter(
    (t) => !available.includes(t),
  );
  if (missingExplicit.length > 0) {
    throw new UsageError(
      `${networkName} has no tap ${missingExplicit.join(', ')}: choose from ${available.join(', ')} ` +
        `(--style-layers / --content-layer), or omit them for the defaults`,
    );
  }

  const vggNamed = available.some((t) => VGG_TAP.test(t));
  let styleLayers: string[];
  if (requested.styleLayers) {
    styleLayers = requested.styleLayers;
  } else if (!vggNamed) {
    styleLayers = spread(available, DEFAULT_STYLE_LAYERS.length);
    notes.push(`style layers ${DEFAULT_STYLE_LAYERS.join(',')} → ${styleLayers.join(',')} (${networkName} is not a VGG)`);
  } else {
    styleLayers = [];
    for (const t of DEFAULT_STYLE_LAYERS) {
      const use = available.includes(t) ? t : substitute(t, available);
      if (use !== t) notes.push(`style layer ${t} → ${use} (${networkName} has no ${t})`);
      if (!styleLayers.includes(use)) styleLayers.push(use);
    }
  }

  let contentLayer: string;
  if (requested.contentLayer) {
    contentLayer = requested.contentLayer;
  } else if (available.includes(DEFAULT_CONTENT_LAYER)) {
    contentLayer = DEFAULT_CONTENT_LAYER;
  } else {
    contentLayer = vggNamed ? substitute(DEFAULT_CONTENT_LAYER, available) : available[Math.min(1, available.length - 1)];
    notes.push(`content layer ${DEFAULT_CONTENT_LAYER} → ${contentLayer} (${networkName} has no ${DEFAULT_CONTENT_LAYER})`);
  }
  return { styleLayers, contentLayer, notes };
}
