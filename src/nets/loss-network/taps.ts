import { UsageError } from '../../errors';

/** Throws the one-line error the brief promises when a tap cannot be served: which one, and what can. */
export function checkTaps(requested: string[], available: string[], what: string): void {
  if (requested.length === 0) throw new UsageError(`no loss-network taps requested (${what} serves ${available.join(', ')})`);
  const missing = requested.filter((t) => !available.includes(t));
  if (missing.length > 0) {
    throw new UsageError(
      `loss-network tap${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not available from ${what}: ` +
        `available taps are ${available.join(', ') || '(none)'}`,
    );
  }
}
