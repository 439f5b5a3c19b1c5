// Absent with evidence, unknown where the data cannot tell (analysis/verdicts.ts): on debian-12,
// whose in-tree modules are covered, a misspelt or removed function of a known family is absent
// (an error), while a function none of whose family exists there (zfs's zpl_*, an out-of-tree
// module) is unknown and says why.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Atlas } from '../../../server/src/atlas/atlas';
import { AnalysisCache } from '../../../server/src/analysis/cache';
import { attachReport } from '../../../server/src/analysis/report';
import { attachVerdicts, familyOf, hasFamily } from '../../../server/src/analysis/verdicts';
import { loadKnowledge } from '../../../server/src/knowledge/load';
import { parseTarget } from '../../../server/src/model/targets';
import { repoRoot } from '../../repoRoot';

const atlas = new Atlas({ live: false, dataDir: path.join(repoRoot(), 'data') });
const has = atlas.list().some((m) => m.id === 'debian-12');
const ctx = { atlas, targets: ['debian-12'], knowledge: loadKnowledge(path.join(repoRoot(), 'data', 'knowledge')), cache: new AnalysisCache() };
const verdict = (t: string) => attachVerdicts(parseTarget(t), ctx).kernels[0];

describe('absent or unknown on a kernel with its modules covered', { skip: has ? false : 'no bundled debian-12' }, () => {
  it('a function of a family the kernel has is absent: misspelt (vfs_raed) or removed (tcp_drop, gone in 5.19)', () => {
    for (const t of ['kprobe:vfs_raed', 'kprobe:tcp_drop', 'fentry:__blk_account_io_start']) {
      const v = verdict(t);
      assert.equal(v.status, 'error', t);
      assert.deepEqual(v.hazards.map((h) => h.name), ['absent'], t);
      assert.equal(v.foreignFamily, undefined, t);
    }
  });

  it('a function whose whole family is missing (zfs zpl_read) is unknown, naming the family and why', () => {
    for (const t of ['kprobe:zpl_read', 'kretprobe:zpl_fsync']) {
      const v = verdict(t);
      assert.equal(v.status, 'info', t);
      assert.equal(v.foreignFamily, 'zpl_', t);
      assert.deepEqual(v.hazards.map((h) => [h.name, h.severity]), [['unknown', 'info']], t);
      assert.match(v.hazards[0].message, /not in debian-12 nor its in-tree modules, and no zpl_\* function is: likely an out-of-tree module/);
    }
  });
});

describe('function families by prefix search (hasFamily)', { skip: has ? false : 'no bundled debian-12' }, () => {
  it('answers as the set of every name\'s family does, for every family and for families the kernel lacks', () => {
    const kernel = atlas.get('debian-12');
    const all = new Set<string>();
    for (const n of kernel.functionNames()) {
      const f = familyOf(n);
      if (f) all.add(f);
    }
    const fresh = { cache: new AnalysisCache() };
    const asked = [...all, ...[...all].slice(0, 2000).map((f) => `q${f}`), 'zpl_', 'zz_', 'x86_', 'ab_'];
    for (const f of asked) assert.equal(hasFamily(fresh, kernel, f), all.has(f), f);
    // A kernel without a prefix search (the set of families, built once) answers the same.
    const noPrefix = { meta: kernel.meta, functionNames: () => kernel.functionNames() } as unknown as typeof kernel;
    for (const f of asked.slice(0, 500)) assert.equal(hasFamily(fresh, noPrefix, f), all.has(f), f);
  });
});

describe('verdicts of a target with a report', { skip: has ? false : 'no bundled debian-12' }, () => {
  it('are the report\'s own: a document of more targets than the verdicts table holds is not judged again on each run', () => {
    const c = { ...ctx, cache: new AnalysisCache() };
    const target = parseTarget('kprobe:vfs_read');
    const report = attachReport(target, c);
    const before = c.cache.table('verdicts').size;
    // Pushed out of the verdicts table (completion lists fill it), the report still answers.
    c.cache.table('verdicts').clear();
    assert.equal(attachVerdicts(target, c).kernels, report.kernels);
    assert.equal(c.cache.table('verdicts').size, 0, `nothing judged again (${before} before)`);
  });
});
