// The analysis cache's tables of verdicts are bounded by kernel verdicts, not by entries: an
// entry over 30 target kernels weighs 30 times one over a single kernel (analysis/cache.ts).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnalysisCache } from '../../../server/src/analysis/cache';

const entry = (kernels: number) => ({ kernels: Array.from({ length: kernels }, (_, i) => ({ kernel: `k${i}` })) });

describe('analysis cache bounds', () => {
  it('verdicts: 12,000 kernel verdicts, whatever the number of target kernels', () => {
    for (const kernels of [1, 4, 30]) {
      const table = new AnalysisCache().table<object>('verdicts');
      for (let i = 0; i < 20_000; i++) table.set(`t${i}`, entry(kernels));
      assert.equal(table.size, Math.floor(12_000 / kernels), `${kernels} target kernels`);
      assert.ok(table.has('t19999') && !table.has('t0'), 'the least recently used go first');
    }
  });

  it('reports: 60,000 kernel verdicts', () => {
    const table = new AnalysisCache().table<object>('reports');
    for (let i = 0; i < 5_000; i++) table.set(`t${i}`, entry(30));
    assert.equal(table.size, 2_000);
  });
});
