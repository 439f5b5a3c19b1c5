// The kernels of one atlas file find a function name's position through a search over the file's
// names they share (format.ts fnLowerBound: records are numbered in name order), not each through
// a sample of its own list. Both must give what a plain scan of the kernel's names gives, for
// names it has, names it lacks, prefixes and keys past either end; and every KernelIndex query
// built on them must answer as one built on the kernel's own sample. A kernel's record numbers
// are kept as a bitmap over the file's table (recordSet): its members and ranks must be the list's.
// Tracepoint heads read without their records are those of the whole records.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { AtlasFile, encodeAtlas, recordSet, type KernelData } from '../../../server/src/atlas/format';
import { KernelIndex } from '../../../server/src/atlas/kernelIndex';
import { realKernelSlice } from '../../craftAtlas';
import { repoRoot } from '../../repoRoot';
import fs from 'node:fs';
import os from 'node:os';

/** The first position whose name is not below key, by a scan. */
function scan(data: KernelData, key: string): number {
  let i = 0;
  while (i < data.functionCount && data.nameAt(i) < key) i++;
  return i;
}

/** Keys around the kernel's names: every `step`-th name, its neighbours, prefixes, the ends. */
function keys(data: KernelData, step: number): string[] {
  const out = ['', '\u0000', '~~~~', '\uffff', 'a', 'vfs_', 'vfs_read', 'zzz_not_there', '_', '__'];
  for (let i = 0; i < data.functionCount; i += step) {
    const n = data.nameAt(i);
    out.push(n, n.slice(0, 3), `${n}_`, n.slice(0, -1), `${n.slice(0, -1)}\u007f`);
  }
  return out;
}

/** The same kernel data without the shared search: KernelIndex then samples its own list. */
function ownSample(data: KernelData): KernelData {
  return {
    meta: data.meta, get functionCount() { return data.functionCount; }, nameAt: (i) => data.nameAt(i),
    get functionNames() { return data.functionNames; }, functionAt: (i) => data.functionAt(i),
    get tracepoints() { return data.tracepoints; }, tracepointsNamed: (n) => data.tracepointsNamed(n),
    get syscalls() { return data.syscalls; }, get lsmHooks() { return data.lsmHooks; },
    get extraSymbols() { return data.extraSymbols; }, get kfuncs() { return data.kfuncs; }, types: data.types,
  };
}

function agrees(data: KernelData, step: number, label: string): void {
  assert.ok(data.lowerBoundName, `${label}: a format-2 file searches its shared names`);
  const shared = new KernelIndex(data);
  const own = new KernelIndex(ownSample(data));
  for (const key of keys(data, step)) {
    assert.equal(data.lowerBoundName!(key), scan(data, key), `${label}: ${JSON.stringify(key)}`);
    assert.deepEqual(shared.functionNamesWithPrefix(key, 7), own.functionNamesWithPrefix(key, 7), `${label}: prefix ${JSON.stringify(key)}`);
    assert.equal(shared.fn(key)?.name, own.fn(key)?.name, `${label}: fn ${JSON.stringify(key)}`);
    assert.equal(shared.fnAll(key).length, own.fnAll(key).length, `${label}: fnAll ${JSON.stringify(key)}`);
  }
}

describe('the function-name search shared by the kernels of a file', () => {
  it('on bundled kernels of one file (each with its own list), as a scan', () => {
    const file = AtlasFile.open(path.join(repoRoot(), 'data', 'atlas', 'ubuntu.atlas'));
    const ids = file.kernels().map((k) => k.id);
    for (const id of [ids[0], ids[ids.length - 1], 'ubuntu-20.04-arm64'].filter((x) => ids.includes(x))) agrees(file.load(id), 997, id);
  });

  it('for kernels of one file asked in turn for the same name (the file keeps its last search), and for a name twice', () => {
    const file = AtlasFile.open(path.join(repoRoot(), 'data', 'atlas', 'ubuntu.atlas'));
    const ids = file.kernels().map((k) => k.id);
    const picked = [ids[0], ids[ids.length - 1], ids[Math.floor(ids.length / 2)]];
    const datas = picked.map((id) => file.load(id));
    const shared = datas.map((d) => new KernelIndex(d));
    const own = datas.map((d) => new KernelIndex(ownSample(d)));
    for (const key of keys(datas[0], 4999)) {
      datas.forEach((d, i) => assert.equal(d.lowerBoundName!(key), scan(d, key), `${picked[i]}: ${JSON.stringify(key)}`));
      for (let round = 0; round < 2; round++) {
        shared.forEach((k, i) => {
          assert.equal(k.fn(key)?.name, own[i].fn(key)?.name, `${picked[i]}: fn ${JSON.stringify(key)}`);
          assert.equal(k.hasSymbol(key), own[i].hasSymbol(key), `${picked[i]}: hasSymbol ${JSON.stringify(key)}`);
        });
      }
    }
  });

  it('on a file of two kernels whose lists differ, with names repeated (module copies)', () => {
    const a = realKernelSlice('ubuntu-22.04', 40);
    const b = realKernelSlice('ubuntu-24.04', 30);
    const copy = a.functions.find((f) => f.name === 'vfs_read')!;
    a.functions.push({ ...copy, module: 'some_mod' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-names-'));
    const f = path.join(dir, 'two.atlas');
    fs.writeFileSync(f, encodeAtlas([a, b], { quality: 1 }));
    const file = AtlasFile.open(f);
    for (const k of file.kernels()) agrees(file.load(k.id), 13, k.id);
    assert.equal(new KernelIndex(file.load(a.meta.id)).fnAll('vfs_read').length, 2);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('tracepoint heads read without their records', () => {
  it('are those of the whole records, and list the same systems, on bundled kernels', () => {
    const plain = (xs: readonly { name: string; system?: string; event: boolean | null; module?: string }[]) => xs.map((t) => `${t.system ?? ''}:${t.name}:${t.event}:${t.module ?? ''}`);
    for (const name of ['ubuntu.atlas', 'debian.atlas']) {
      const at = path.join(repoRoot(), 'data', 'atlas', name);
      const ids = AtlasFile.open(at).kernels().map((k) => k.id);
      for (const id of [ids[0], ids[ids.length - 1]]) {
        // Fresh files: the heads are read before any record is decoded.
        const heads = AtlasFile.open(at).load(id);
        assert.ok(heads.tracepointHeads, `${id}: a file reads heads alone`);
        const records = AtlasFile.open(at).load(id);
        assert.ok(records.tracepoints.length > 100, `${id}: has tracepoints`);
        assert.deepEqual(plain(heads.tracepointHeads!()), plain(records.tracepoints), `${id}: each head is its record's`);
        const fromHeads = [...new KernelIndex(AtlasFile.open(at).load(id)).systems()];
        const fromRecords = [...new KernelIndex(ownSample(records)).systems()];
        assert.deepEqual(fromHeads, fromRecords, `${id}: systems`);
      }
    }
  });
});

describe('a kernel\'s record numbers as a bitmap (recordSet)', () => {
  it('gives the list\'s members by position and counts below any record, at every density', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let t = 0; t < 200; t++) {
      const records = 1 + Math.floor(rnd() * 3000);
      const density = t % 10 === 0 ? 1 : rnd();
      const ids: number[] = [];
      for (let r = 0; r < records; r++) if (rnd() < density) ids.push(r);
      const set = recordSet(Uint32Array.from(ids), records);
      assert.equal(set.size, ids.length);
      ids.forEach((id, i) => assert.equal(set.at(i), id, `list ${t} position ${i}`));
      let below = 0;
      for (let r = 0, k = 0; r <= records + 40; r++) {
        assert.equal(set.rank(r), below, `list ${t} rank ${r}`);
        if (ids[k] === r) {
          below++;
          k++;
        }
      }
    }
  });

  it('keeps a record listed twice twice', () => {
    const set = recordSet(Uint32Array.from([1, 2, 2, 5, 6, 7, 8, 9, 10, 11, 12]), 13);
    assert.equal(set.size, 11);
    assert.deepEqual(Array.from({ length: 11 }, (_, i) => set.at(i)), [1, 2, 2, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.equal(set.rank(3), 3);
  });
});
