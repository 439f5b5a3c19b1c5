// Wildcards over whole real kernels (issue 13): counted to the end by name, expanded into symbols
// only as far as the limit, searched for suffixed copies within a budget, and judged against the
// loaders' limits (analysis/probeLimits.ts). The work is asserted as the number of function
// records decoded, never as time.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnalysisCache } from '../../../server/src/analysis/cache';
import { GLOB_SUFFIX_PROBES, matchFunctionGlob } from '../../../server/src/analysis/globs';
import {
  BPFTRACE_MAX_PROBES, bpftraceExpansion, bpftraceProbeLimit, hasKprobeMulti, KPROBE_MULTI_MAX, kprobeMultiLimit,
} from '../../../server/src/analysis/probeLimits';
import { attachVerdicts } from '../../../server/src/analysis/verdicts';
import { Atlas } from '../../../server/src/atlas/atlas';
import type { KernelMeta } from '../../../server/src/atlas/model';
import { programTarget } from '../../../server/src/analysis/targets';
import type { BpfProgram } from '../../../server/src/syntax/cModel';
import { compileGlob } from '../../../server/src/model/glob';
import { baseName } from '../../../server/src/model/symbols';
import { bundledKnowledge } from '../../features/fixture';

const atlas = new Atlas({ live: false });
const debian12 = atlas.get('debian-12');
const ubuntu2204 = atlas.get('ubuntu-22.04');

function distinct(names: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < names.length; i++) if (i === 0 || names[i] !== names[i - 1]) n++;
  return n;
}

test('kprobe:* is counted to the end by name while only the limit is expanded', () => {
  const ctx = { cache: new AnalysisCache() };
  for (const kernel of [debian12, ubuntu2204]) {
    const all = [...kernel.functionNames()].sort();
    const m = matchFunctionGlob(ctx, kernel, '*', 'bpftrace', 1000);
    assert.equal(m.functions, distinct(all), `every function of ${kernel.meta.id}`);
    assert.ok(m.exact);
    assert.ok(m.truncated);
    assert.equal(m.symbols.length, 1000);
    // The names up to the one of the 1000th match (some have no symbol), and none after.
    const names = [...new Set(all)];
    const last = names.indexOf(baseName(m.symbols[m.symbols.length - 1]));
    assert.ok(m.decoded <= last + 1, `decoded ${m.decoded} records for names up to #${last}`);
  }
});

test('a pattern that matches few names searches suffixed copies within its budget, then says "at least"; one no suffix can end is exact at once', () => {
  const ctx = { cache: new AnalysisCache() };
  const byNameOf = (pattern: string) => {
    const glob = compileGlob(pattern, 'bpftrace');
    return distinct([...debian12.functionNames()].filter((n) => glob.test(n)).sort());
  };
  // `*_read*` may match `foo.isra.0_read...` for any foo: past the budget the count is a bound.
  const m = matchFunctionGlob(ctx, debian12, '*_read*', 'bpftrace', 10_000);
  const byName = byNameOf('*_read*');
  assert.ok(m.functions >= byName, `${m.functions} >= ${byName}`);
  assert.ok(!m.exact, 'more names could own a matching copy than the budget allows');
  assert.ok(m.decoded <= byName + GLOB_SUFFIX_PROBES, `decoded ${m.decoded}`);
  // `*_read`: no compiler suffix ends in `_read`, so only the matching names are decoded and
  // the count is exact.
  const read = matchFunctionGlob(ctx, debian12, '*_read', 'bpftrace', 10_000);
  assert.equal(read.exact, true);
  assert.equal(read.functions, byNameOf('*_read'));
  assert.equal(read.decoded, read.functions);
  // Only suffixed copies match: no false "matches nothing", an unknown instead.
  const isra = matchFunctionGlob(ctx, debian12, '*.isra.*', 'libbpf', 10_000);
  assert.ok(isra.decoded <= GLOB_SUFFIX_PROBES);
  assert.ok(isra.symbols.every((s) => s.includes('.isra.')) && isra.symbols.length > 0, isra.symbols.slice(0, 5).join(' '));
});

test('loader limits: bpftrace max_probes where a kprobe wildcard cannot use kprobe_multi, the kernel on one kprobe.multi link', () => {
  const unknown = { value: null, evidence: 'not known' };
  const meta = (version: string, fprobe: boolean | null): KernelMeta => ({
    ...debian12.meta, version,
    capabilities: {
      kprobes: unknown, kprobeMulti: { value: fprobe, evidence: 'CONFIG_FPROBE in the test' }, bpfEvents: unknown,
      ftraceSyscalls: unknown, debugInfoBtf: unknown, bpfLsmBuilt: unknown, bpfLsm: unknown,
    },
  });
  assert.equal(hasKprobeMulti(meta('5.15', null)), false);
  assert.equal(hasKprobeMulti(meta('6.1', null)), true);
  assert.equal(hasKprobeMulti(meta('6.1', false)), false);
  assert.equal(bpftraceExpansion('kprobe', meta('5.15', null)), 'each');
  assert.equal(bpftraceExpansion('kprobe', meta('6.8', true)), 'multi');
  assert.equal(bpftraceExpansion('fentry', meta('6.8', true)), 'each');
  assert.equal(bpftraceProbeLimit('kprobe', BPFTRACE_MAX_PROBES, meta('5.15', null)), undefined);
  assert.equal(bpftraceProbeLimit('kprobe', BPFTRACE_MAX_PROBES + 1, meta('5.15', null))?.severity, 'warning');
  assert.equal(bpftraceProbeLimit('kprobe', 200_000, meta('6.1', true)), undefined);
  assert.match(bpftraceProbeLimit('fentry', 2000, meta('6.1', true))!.why, /one probe and one BPF program per match, and refuses more than 1024/);
  assert.equal(kprobeMultiLimit(KPROBE_MULTI_MAX), undefined);
  assert.equal(kprobeMultiLimit(KPROBE_MULTI_MAX + 1)?.severity, 'error');
});

test('SEC("kprobe/*") is not a pattern to libbpf: absent, with why; kprobe.multi/* counts its matches', () => {
  const ctx = { atlas, cache: new AnalysisCache(), targets: ['debian-12', 'ubuntu-22.04'], knowledge: bundledKnowledge() };
  const program = (section: string, kind: BpfProgram['kind'], name: string) =>
    ({ section, kind, target: { text: name, name, pattern: true } } as unknown as BpfProgram);
  const plain = programTarget(program('kprobe/*', 'kprobe', '*'))!;
  assert.ok(plain.unexpandedGlob && !plain.pattern);
  const v = attachVerdicts(plain, ctx);
  assert.equal(v.worst, 'error');
  for (const k of v.kernels) assert.match(k.hazards[0].message, /libbpf does not expand wildcards in a kprobe\/ section: it takes \* as one name.*Patterns work in kprobe\.multi\/\*/);
  const multi = programTarget(program('kprobe.multi/*', 'kprobe.multi', '*'))!;
  assert.ok(multi.pattern);
  const mv = attachVerdicts(multi, ctx);
  assert.deepEqual(mv.kernels.map((k) => k.matches), [distinct([...debian12.functionNames()].sort()), distinct([...ubuntu2204.functionNames()].sort())]);
});
