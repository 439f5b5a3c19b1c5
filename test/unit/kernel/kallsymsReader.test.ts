// The kallsyms read on a worker thread: what it gives must be what a synchronous read and scan
// give (the live /proc/kallsyms, the real excerpts under test/fixtures), waited for synchronously
// or awaited; a worker that cannot run (throws, exits without a word, never answers) falls back
// to the synchronous read with the same result; a file that cannot be read gives the same fs
// error as readFileSync, from the worker itself.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KallsymsIndex, scanKallsyms } from '../../../server/src/kernel/procKallsyms';
import { KallsymsReadOptions, startKallsymsRead } from '../../../server/src/kernel/kallsymsReader';
import { KernelDataError, describeFsError } from '../../../server/src/kernel/errors';
import { repoRoot } from '../../repoRoot';

const LIVE = '/proc/kallsyms';
const ROOT_EXCERPT = path.join(repoRoot(), 'test/fixtures/kernel/kallsyms/proc-kallsyms-root.txt');
const liveSkip = fs.existsSync(LIVE) ? false : 'no /proc/kallsyms';

/** Everything an index answers, as plain data. */
function dump(index: KallsymsIndex) {
  const bases: Record<string, string[]> = {};
  for (let e = 0; e < index.bases.size; e++) {
    bases[index.bases.name(e)] = index.symbolsOf(e).map((i) => `${index.symbolName(i)}|${index.moduleOf(i) ?? ''}|${index.isInit(i)}`);
  }
  return { bases, extra: index.extra, ranges: index.ranges, zeroed: index.addressesZeroed, modules: index.hasModules };
}

const syncDump = (file: string) => dump(scanKallsyms(fs.readFileSync(file), file));

test('the worker read of the live /proc/kallsyms equals a synchronous read, waited for or awaited', { skip: liveSkip }, async () => {
  const want = syncDump(LIVE);
  const blocking = startKallsymsRead(LIVE);
  assert.deepEqual(dump(blocking.indexSync()), want);
  assert.equal(blocking.via, 'worker');
  const awaited = startKallsymsRead(LIVE);
  const [first, second] = await Promise.all([awaited.index(), awaited.index()]);
  assert.equal(first, second, 'two waiters get the one index');
  assert.deepEqual(dump(first), want);
  assert.equal(awaited.via, 'worker');
  // Asking again gives the same index without reading again.
  assert.equal(await awaited.index(), awaited.indexSync());
});

test('the worker read of a small real excerpt (one chunk, and a sync read on request)', async () => {
  const want = syncDump(ROOT_EXCERPT);
  assert.deepEqual(dump(startKallsymsRead(ROOT_EXCERPT).indexSync()), want);
  assert.deepEqual(dump(await startKallsymsRead(ROOT_EXCERPT).index()), want);
  const noWorker = startKallsymsRead(ROOT_EXCERPT, { worker: false });
  assert.deepEqual(dump(noWorker.indexSync()), want);
  assert.equal(noWorker.via, 'sync');
});

const BROKEN: [string, KallsymsReadOptions][] = [
  ['a worker that throws at once', { workerSource: 'throw new Error("no reader here")' }],
  ['a worker that exits without a word', { workerSource: '' }],
  ['a worker that never answers', { workerSource: 'setTimeout(() => {}, 60000)', stallMs: 300 }],
  ['a worker source that does not compile', { workerSource: 'this is not javascript {' }],
];

for (const [what, opts] of BROKEN) {
  test(`${what}: the file is read synchronously instead, same index`, async () => {
    const want = syncDump(ROOT_EXCERPT);
    // Waiting synchronously, a dead worker is only noticed when it stays silent for stallMs.
    const blocking = startKallsymsRead(ROOT_EXCERPT, { stallMs: 300, ...opts });
    assert.deepEqual(dump(blocking.indexSync()), want);
    assert.equal(blocking.via, 'sync');
    const awaited = startKallsymsRead(ROOT_EXCERPT, opts);
    assert.deepEqual(dump(await awaited.index()), want);
    assert.equal(awaited.via, 'sync');
  });
}

test('unreadable files: the fs error readFileSync gives, reported by the worker', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kallsyms-'));
  try {
    const missing = path.join(dir, 'kallsyms');
    for (const file of [missing, dir]) {
      let want: unknown;
      try {
        fs.readFileSync(file);
      } catch (e) {
        want = e;
      }
      const code = (want as NodeJS.ErrnoException).code;
      const blocking = startKallsymsRead(file);
      assert.throws(() => blocking.indexSync(), (e: unknown) => (e as NodeJS.ErrnoException).code === code && describeFsError(e) === describeFsError(want));
      assert.equal(blocking.via, 'worker');
      await assert.rejects(startKallsymsRead(file).index(), (e: unknown) => (e as NodeJS.ErrnoException).code === code);
    }
    // Text that is not a symbol table: the scanner's KernelDataError, naming the file.
    const garbage = path.join(dir, 'garbage');
    fs.writeFileSync(garbage, 'this is not a symbol table\n'.repeat(50));
    await assert.rejects(startKallsymsRead(garbage).index(), (e: unknown) => e instanceof KernelDataError && e.file === garbage);
    assert.throws(() => startKallsymsRead(garbage).indexSync(), (e: unknown) => e instanceof KernelDataError && e.file === garbage);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a cancelled read stops its worker and answers no more', async () => {
  const read = startKallsymsRead(ROOT_EXCERPT);
  read.cancel();
  assert.throws(() => read.indexSync(), /cancelled/);
  await assert.rejects(read.index(), /cancelled/);
});
