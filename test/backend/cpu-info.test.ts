// The CPU description every measurement carries: model, cores, the ISA from the CPU's flags, and oneDNN's cap.
import * as fs from 'fs';
import { cpuInfo, describeCpu } from '../../src/backend/cpu-info';

describe('cpuInfo', () => {
  it('reads the ISA from the CPU flags and names a ONEDNN_MAX_CPU_ISA cap', () => {
    const info = cpuInfo();
    expect(info.cores).toBeGreaterThan(0);
    if (fs.existsSync('/proc/cpuinfo') && process.arch === 'x64') {
      const flags = fs.readFileSync('/proc/cpuinfo', 'utf8');
      expect(info.isa).toBe(/\bavx512f\b/.test(flags) ? 'AVX-512' : /\bavx2\b/.test(flags) ? 'AVX2' : 'older x86');
    }
    expect(describeCpu(info)).toBe(`${info.model}, ${info.cores} cores, ${info.isa}${info.onednnMaxIsa ? `, oneDNN capped at ${info.onednnMaxIsa} (ONEDNN_MAX_CPU_ISA)` : ''}`);
    expect(describeCpu({ model: 'X', cores: 2, isa: 'AVX-512', onednnMaxIsa: 'AVX2' })).toBe('X, 2 cores, AVX-512, oneDNN capped at AVX2 (ONEDNN_MAX_CPU_ISA)');
  });
});
