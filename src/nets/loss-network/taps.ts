import { UsageError } from '../../errors';

/** Throws a one-line UsageError when a tap cannot be served, naming the missing taps and those the network has. */
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
