// A function family (analysis/verdicts.ts hasFamily) is found by prefix searches over the sorted
// names: it must answer exactly what collecting familyOf() of every function name answers, on a
// bundled kernel (every family it has, and families it lacks), on names with runs of leading
// underscores, and on a kernel that offers no prefix search (its names in no set order).

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Atlas } from '../../../server/src/atlas/atlas';
import { KernelIndex } from '../../../server/src/atlas/kernelIndex';
import type { KernelFacts, KernelQuery } from '../../../server/src/atlas/model';
import { AnalysisCache } from '../../../server/src/analysis/cache';
import { familyOf, hasFamily } from '../../../server/src/analysis/verdicts';
import { repoRoot } from '../../repoRoot';

/** The definition: the set of familyOf() over every function name. */
function familySet(kernel: KernelQuery): Set<string> {
  const set = new Set<string>();
  for (const n of kernel.functionNames()) {
    const f = familyOf(n);
    if (f) set.add(f);
  }
  return set;
}

/** Families to ask about: every family the kernel has, and near misses it may lack. */
function probes(families: Set<string>): string[] {
  const out = new Set<string>(['zpl_', 'zz_', 'vfs_', 'tcp_', 'x9_', 'ab_', 'A1_']);
  for (const f of families) {
    out.add(f);
    out.add(`${f.slice(0, -1)}x_`);
    if (f.length > 3) out.add(`${f.slice(1)}`);
  }
  return [...out].filter((f) => familyOf(f + 'x') === f);
}

function agrees(kernel: KernelQuery, label: string): void {
  const families = familySet(kernel);
  const ctx = { cache: new AnalysisCache() };
  for (const f of probes(families)) assert.equal(hasFamily(ctx, kernel, f), families.has(f), `${label}: ${f}`);
}

function facts(names: string[]): KernelFacts {
  return {
    meta: {
      id: 'fake', release: '6.1.0', version: '6.1', arch: 'amd64', source: 'file', provenance: 'test',
      coverage: { inline: 'none', ftrace: false, blacklist: false, modules: true, btf: true, exactFieldOffsets: false },
      counts: { functions: names.length, tracepoints: 0, syscalls: 0, lsmHooks: 0 },
    },
    functions: names.map((name) => ({ name, symbols: [name], inline: 'none' as const })),
    tracepoints: [], syscalls: [], lsmHooks: [],
  } as unknown as KernelFacts;
}

const NAMES = ['___blk_deep_x', '__vfs_read', '_x', 'a_b', 'ab_c', 'abc', 'ab.c_d', '____sys_x', 'zz9_q', '__', '_', 'tcp', 'Tcp_x', 'udp_v6_x'];

describe('hasFamily answers as the set of every name\'s family', () => {
  const atlas = new Atlas({ live: false, dataDir: path.join(repoRoot(), 'data') });
  for (const id of ['debian-12', 'ubuntu-16.04']) {
    it(`on ${id}`, { skip: atlas.list().some((m) => m.id === id) ? false : `no bundled ${id}` }, () => agrees(atlas.get(id), id));
  }

  it('on names with runs of leading underscores', () => agrees(KernelIndex.fromFacts(facts(NAMES)), 'crafted'));

  it('on a kernel without a prefix search, names in no set order', () => {
    const index = KernelIndex.fromFacts(facts(NAMES));
    const unsorted = [...NAMES].reverse();
    const kernel = { meta: index.meta, functionNames: () => unsorted, fn: (n: string) => index.fn(n) } as unknown as KernelQuery;
    agrees(kernel, 'no prefix search');
  });
});
