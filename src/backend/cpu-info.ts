/**
 * The CPU as measurements report it (issue #15: every figure carries its ISA): the model name and the widest vector
 * ISA oneDNN can use here, which is what decides Winograd, 16- or 8-lane blocks and our own kernels.
 *
 *   cpuInfo() -> { model, cores, isa, onednnMaxIsa? }     describeCpu() -> "AMD EPYC, 2 cores, AVX-512"
 */
import * as fs from 'fs';
import * as os from 'os';

export type VectorIsa = 'AVX-512' | 'AVX2' | 'older x86' | 'not x86';

export interface CpuInfo {
  model: string;
  cores: number;
  /** From the CPU's flags (/proc/cpuinfo), whatever oneDNN is told. */
  isa: VectorIsa;
  /** ONEDNN_MAX_CPU_ISA when set (e.g. AVX2 to run the AVX2 paths on an AVX-512 CPU). */
  onednnMaxIsa?: string;
}

function flagsIsa(): VectorIsa {
  if (!['x64', 'ia32'].includes(process.arch)) return 'not x86';
  let text = '';
  try {
    text = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return 'older x86'; // no /proc (macOS, Windows): not known here
  }
  const flags = new Set((text.match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/));
  return flags.has('avx512f') ? 'AVX-512' : flags.has('avx2') ? 'AVX2' : 'older x86';
}

export function cpuInfo(): CpuInfo {
  const cpus = os.cpus();
  const info: CpuInfo = { model: (cpus[0]?.model ?? 'unknown CPU').trim(), cores: cpus.length, isa: flagsIsa() };
  if (process.env.ONEDNN_MAX_CPU_ISA) info.onednnMaxIsa = process.env.ONEDNN_MAX_CPU_ISA;
  return info;
}

/** One line: model, cores and ISA, and the cap oneDNN runs under when one is set. */
export function describeCpu(info: CpuInfo = cpuInfo()): string {
  const cap = info.onednnMaxIsa ? `, oneDNN capped at ${info.onednnMaxIsa} (ONEDNN_MAX_CPU_ISA)` : '';
  return `${info.model}, ${info.cores} cores, ${info.isa}${cap}`;
}
