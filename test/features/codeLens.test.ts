// Code lens titles (features/codeLens.ts) from the real verdicts of the bundled kernels: how many
// targets a program attaches on, where it fails and why (kernels grouped, each named once), where
// it misses calls, where the atlas cannot tell, and the one-kernel wording.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeLenses, resolveCodeLens } from '../../server/src/features/codeLens';
import { featureContext, loadFixture, openFixture } from './fixture';

async function titles(fixture: string, targets: string[]): Promise<string[]> {
  const doc = await openFixture(loadFixture(fixture));
  const ctx = featureContext(targets);
  return codeLenses(doc).map((l) => resolveCodeLens(l, ctx).command!.title);
}

const DEBIAN = ['debian-11', 'debian-12', 'debian-13', 'debian-sid'];

test('biosnoop on the Debian kernels: failures grouped by reason', async () => {
  assert.deepEqual(await titles('c/biosnoop.bpf.c', DEBIAN), [
    'attaches on 1/4 targets · fails on debian-12 (fully inlined, no BTF), debian-13 and debian-sid (notrace)',
    'attaches on 3/4 targets · fails on debian-12 (fully inlined)',
    // block_io_start (6.5+): absent on debian-11 too, whose block trace system is built in.
    'attaches on 2/4 targets · fails on debian-11 and debian-12 (absent)',
    'attaches on all 4 targets',
    'attaches on all 4 targets · record fields differ between targets',
  ]);
});

test('bpftrace: a renamed function on three kernels named in full', async () => {
  assert.deepEqual(await titles('bt/runqlat-kprobe.bt', DEBIAN), [
    'attaches on 2/4 targets · fails on debian-13 and debian-sid (fully inlined)',
    'attaches on 1/4 targets · fails on debian-12, debian-13 and debian-sid (only finish_task_switch.isra.0 exists)',
  ]);
});

test('one target kernel: the kernel is named', async () => {
  const t = await titles('c/biosnoop.bpf.c', ['debian-12']);
  assert.equal(t[1], 'does not attach on debian-12 (fully inlined)');
  assert.equal(t[3], 'attaches on debian-12');
});

test('a lens that is not ours comes back unchanged', () => {
  const lens = { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, data: { other: 1 } };
  assert.equal(resolveCodeLens(lens, featureContext(['debian-12'])), lens);
});
