/**
 * Lets the event loop run — timers, signal handlers, sockets — between slices of a long synchronous computation (a
 * tiled stylize's windows, an optimization's steps). Awaiting a resolved promise is not enough: its continuation is a
 * microtask, which runs before any of those.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
