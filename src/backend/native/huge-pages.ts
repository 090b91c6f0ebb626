/**
 * Transparent huge pages for every large allocation of the process (Linux, THP in "madvise" mode, the usual default).
 *
 * Why: on the VMs this project runs on, first touching a fresh 4 KiB page costs ~2.4 µs, and tfjs allocates every
 * tensor's array afresh: a batch-4 training step at 256² spent about a fifth of its time faulting pages in. glibc puts
 * its mappings on huge pages with GLIBC_TUNABLES=glibc.malloc.hugetlb=1, which it reads only at process start, so the
 * CLI restarts itself once with it (execve: same pid, arguments and file descriptors, so signals and exit codes are
 * the caller's as before). NST_HUGEPAGES=0 leaves the process as it is.
 *
 * Not for the commands that only run inference (SMALL_PAGE_COMMANDS): native plans reuse their buffers, and the exact
 * tile statistics hold gigabytes of long-lived arrays, so there are few faults to save — while on the Firecracker VMs
 * with free page reporting that this project runs on, fresh huge pages cost 0.1–9 s per GiB from one run to the next
 * (4 KiB pages a steady 0.4 s): 2000×1500 exact stylize took 8.2–10.4 s with the tunable, 6.0–6.3 s without
 * (2026-12-04, AMD EPYC; training showed no consistent difference that day, and gained ~20 % on 2026-12-02).
 *
 *   hugePageTunables(env, thpMode, command?) -> the GLIBC_TUNABLES value to restart with, or undefined (nothing to do)
 *   restartWithHugePages(command?)           -> restarts the process when that helps; returns when it does not (or cannot)
 */
import * as fs from 'fs';
import { loadNativeAddon, nativeDisabledByEnv } from './loader';

const TUNABLE = 'glibc.malloc.hugetlb=1';

/** The bracketed mode of /sys/kernel/mm/transparent_hugepage/enabled ("always", "madvise", "never"), if readable. */
export function transparentHugePageMode(): string | undefined {
  try {
    return /\[(\w+)\]/.exec(fs.readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** CLI commands that stay on small pages (see above). */
export const SMALL_PAGE_COMMANDS = ['stylize', 'serve'];

/**
 * Pure: what GLIBC_TUNABLES should be for huge pages, or undefined (already set, opted out, THP not "madvise", or a
 * command in SMALL_PAGE_COMMANDS).
 */
export function hugePageTunables(env: NodeJS.ProcessEnv, thpMode: string | undefined, command?: string): string | undefined {
  if (env.NST_HUGEPAGES === '0' || thpMode !== 'madvise') return undefined;
  if (command !== undefined && SMALL_PAGE_COMMANDS.includes(command)) return undefined;
  const current = env.GLIBC_TUNABLES ?? '';
  if (/(^|:)glibc\.malloc\.hugetlb=/.test(current)) return undefined;
  return current ? `${current}:${TUNABLE}` : TUNABLE;
}

/** `command`: the CLI command about to run (process.argv[2] for bin/nst.js). */
export function restartWithHugePages(command?: string): void {
  if (process.platform !== 'linux' || nativeDisabledByEnv()) return;
  const tunables = hugePageTunables(process.env, transparentHugePageMode(), command);
  if (!tunables) return;
  const addon = loadNativeAddon().addon;
  if (typeof addon?.execWithEnv !== 'function') return;
  // Returns only when execve failed; the process then goes on with small pages.
  addon.execWithEnv('GLIBC_TUNABLES', tunables);
}
