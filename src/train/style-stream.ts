/**
 * The style-index stream of a multi-style run: which style each step trains. Every epoch visits each trained style
 * once, in an order shuffled from (seed, epoch), so the styles get equal shares of the steps and the index of any step
 * is a pure function of the cursor: a resumed run (its cursor is in the training state) meets the same styles.
 */
import { Rng } from '../util/rng';
import type { DataCursor } from './data';

/** Name of the stream in the training state's `streams`. */
export const STYLE_STREAM = 'styles';
/** Keeps the style order independent of the photo order drawn from the same seed. */
const STYLE_ORDER_SALT = 0x5717e;

export class StyleIndexStream {
  private cursor: DataCursor;

  /** `styles`: the indices trained (all of the network's, or only an added one). */
  constructor(
    private readonly styles: readonly number[],
    private readonly seed: number,
    start: DataCursor = { epoch: 0, index: 0 },
  ) {
    if (styles.length === 0) throw new Error('StyleIndexStream: no styles to train');
    this.cursor = { ...start };
  }

  /** The order of one epoch. */
  order(epoch: number): number[] {
    return Rng.fromSeed(this.seed, STYLE_ORDER_SALT, epoch).shuffle(this.styles);
  }

  /** The next style index, and the cursor after it. */
  next(): { index: number; cursorAfter: DataCursor } {
    const { epoch, index } = this.cursor;
    const style = this.order(epoch)[index];
    this.cursor = index + 1 >= this.styles.length ? { epoch: epoch + 1, index: 0 } : { epoch, index: index + 1 };
    return { index: style, cursorAfter: { ...this.cursor } };
  }
}
