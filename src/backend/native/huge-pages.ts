/**
 * Transparent huge pages for every large allocation of the process (Linux, THP in "madvise" mode, the usual default).
 *
 * Why: on the VMs this project runs on, first touching a fresh 4 KiB page costs ~2.4 µs, and tfjs allocates every
 * tensor's array afresh: a batch-4 training step at 256² spent about a fifth of its time faulting pages in. glibc puts
 * its mappings on huge pages with GLIBC_TUNABLES=glibc.malloc.hugetlb=1, which it reads only at process start, so the
 * CLI restarts itself once with it (execve: same pid, arguments and file descriptors, so signals and exit codes are
 * the caller's as before). NST_HUGEPAGES=0 leaves the process as it is.
 *
 *   hugePageTunables(env, thpMode) -> the GLIBC_TUNABLES value to restart with, or undefined when there is nothing to do
 *   restartWithHugePages()         -> restarts the process when that helps; returns when it does not (or cannot)
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

/** Pure: what GLIBC_TUNABLES should be for huge pages, or undefined (already set, opted out, or THP not "madvise"). */
export function hugePageTunables(env: NodeJS.ProcessEnv, thpMode: string | undefined): string | undefined {
  if (env.NST_HUGEPAGES === '0' || thpMode !== 'madvise') return undefined;
  const current = env.GLIBC_TUNABLES ?? '';
  if (/(^|:)glibc\.malloc\.hugetlb=/.test(current)) return undefined;
  return current ? `${current}:${TUNABLE}` : TUNABLE;
}

export function restartWithHugePages(): void {
  if (process.platform !== 'linux' || nativeDisabledByEnv()) return;
  const tunables = hugePageTunables(process.env, transparentHugePageMode());
  if (!tunables) return;
  const addon = loadNativeAddon().addon;
  if (typeof addon?.execWithEnv !== 'function') return;
  // Returns only when execve failed; the process then goes on with small pages.
  addon.execWithEnv('GLIBC_TUNABLES', tunables);
}
