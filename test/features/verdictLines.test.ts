// The per-kernel lines of a diagnostic's related information (features/shared/phrases.ts
// verdictLines): kernels whose verdicts say the same thing, once each one's own id is set aside,
// share one line that names every one of them; a kernel with a verdict of its own keeps its line
// word for word. Hand-made verdicts: the grouping is pure.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Hazard } from '../../server/src/atlas/model';
import { verdictLine, type KernelVerdict } from '../../server/src/analysis/verdicts';
import { verdictLines } from '../../server/src/features/shared/phrases';

function verdict(kernel: string, version: string | undefined, hazards: Hazard[], proto?: string): KernelVerdict {
  return {
    kernel, version, hazards, status: hazards.some((h) => h.severity === 'error') ? 'error' : hazards.length ? 'warning' : 'ok',
    assessment: { found: true, attachable: true, proto } as KernelVerdict['assessment'],
  } as KernelVerdict;
}

const notInVmlinux = (k: string): Hazard => ({ name: 'unknown', severity: 'info', message: `Function f() is not in the vmlinux of ${k}; it may live in a loadable module, which this atlas does not cover for ${k}.` });

test('kernels whose lines differ only by their own id share one line naming each of them', () => {
  const vs = [verdict('debian-11', '5.10', [notInVmlinux('debian-11')]), verdict('ubuntu-20.04', '5.4', [notInVmlinux('ubuntu-20.04')]),
    verdict('ubuntu-20.04-arm64', '5.4', [notInVmlinux('ubuntu-20.04-arm64')])];
  assert.deepEqual(verdictLines(vs), [
    'debian-11 (5.10), ubuntu-20.04 (5.4) and ubuntu-20.04-arm64 (5.4): unknown: Function f() is not in the vmlinux of each kernel; it may live in a loadable module, which this atlas does not cover for each kernel.',
  ]);
});

test('a kernel with a verdict of its own keeps its line word for word; groups follow their first kernel', () => {
  const fine = 'int f(int a)';
  const vs = [
    verdict('debian-12', '6.1', [], fine),
    verdict('debian-13', '6.12', [{ name: 'absent', severity: 'error', message: 'debian-13 has no symbol f.' }]),
    verdict('debian-sid', '7.2', [], fine),
    verdict('ubuntu-24.04', '6.8', [], 'int f(long a)'),
  ];
  assert.deepEqual(verdictLines(vs), [
    'debian-12 (6.1) and debian-sid (7.2): attaches (int f(int a)).',
    verdictLine(vs[1]),
    verdictLine(vs[3]),
  ]);
  assert.equal(verdictLine(vs[1]), 'debian-13 (6.12): absent: debian-13 has no symbol f.');
});

test('an id that is also a word of the message (`live`) is not grouped by mistake', () => {
  // live's line reads "it may live in" like the others but also names live as the kernel: set
  // aside, its words no longer match theirs, so it keeps its own line.
  const vs = [verdict('debian-11', '5.10', [notInVmlinux('debian-11')]), verdict('live', undefined, [notInVmlinux('live')]),
    verdict('debian-12', '6.1', [notInVmlinux('debian-12')])];
  const lines = verdictLines(vs);
  assert.deepEqual(lines, [
    'debian-11 (5.10) and debian-12 (6.1): unknown: Function f() is not in the vmlinux of each kernel; it may live in a loadable module, which this atlas does not cover for each kernel.',
    'live: unknown: Function f() is not in the vmlinux of live; it may live in a loadable module, which this atlas does not cover for live.',
  ]);
});

test('every verdict is said: as many kernels named as verdicts given', () => {
  const ids = Array.from({ length: 30 }, (_, i) => `k${i}`);
  const lines = verdictLines(ids.map((k, i) => verdict(k, `5.${i}`, i % 3 ? [notInVmlinux(k)] : [])));
  assert.equal(lines.length, 2);
  for (const k of ids) assert.equal(lines.filter((l) => l.includes(`${k} (`)).length, 1, k);
});
