// The conv bench (bench/native-conv.ts) runs end to end on a tiny shape and reports every field the bench runner reads.
import { nativeConvBench } from '../../bench/native-conv';
import { describeNative } from '../helpers';

describeNative('native conv bench', () => {
  it('reports GFLOP/s for the three passes, the JS ratio and the implementations', async () => {
    const r = await nativeConvBench({ size: 8, channels: 16, minMs: 0 });
    expect(r.skipped).toBeUndefined();
    for (const t of [r.forward, r.backwardData, r.backwardWeights]) {
      expect(t.gflops).toBeGreaterThan(0);
      expect(t.bestGflops).toBeGreaterThanOrEqual(t.gflops);
    }
    expect(r.jsForward?.nativeSpeedup).toBeGreaterThan(0);
    expect(Object.keys(r.implementations ?? {}).sort()).toEqual(['backwardData', 'backwardWeights', 'forward']);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});
