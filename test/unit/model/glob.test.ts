// Wildcards with the loaders' semantics (model/glob.ts): libbpf's glob_match for kprobe.multi and
// the knowledge rows, bpftrace's first-occurrence `*` matching for probes; and the name-list walks
// are bounded: a pattern over a whole kernel decodes no more functions than its limit needs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnalysisCache } from '../../../server/src/analysis/cache';
import { Atlas } from '../../../server/src/atlas/atlas';
import type { KernelQuery } from '../../../server/src/atlas/model';
import { matchFunctionGlob } from '../../../server/src/analysis/globs';
import { baseName } from '../../../server/src/model/symbols';
import { compileGlob, countMatches, hasWildcard, matchNames, matchSortedNames } from '../../../server/src/model/glob';

/** The definition of a `*`/`?` glob, written the slow obvious way: the oracle for random tests. */
function globSpec(s: string, p: string): boolean {
  if (!p) return !s;
  if (p[0] === '*') return globSpec(s, p.slice(1)) || (s.length > 0 && globSpec(s.slice(1), p));
  return s.length > 0 && (p[0] === '?' || p[0] === s[0]) && globSpec(s.slice(1), p.slice(1));
}

/** A small deterministic generator (no Math.random: the same cases on every run). */
function* cases(n: number): Generator<[string, string]> {
  let x = 12345;
  const next = () => (x = (x * 1103515245 + 12345) & 0x7fffffff);
  const pick = (alphabet: string, len: number) => Array.from({ length: len }, () => alphabet[next() % alphabet.length]).join('');
  for (let i = 0; i < n; i++) yield [pick('ab._', next() % 9), pick('ab.*?', next() % 7)];
}

test('libbpf glob: `*` any run, `?` one character, everything else literal (kprobe.multi)', () => {
  for (const [s, p] of cases(20000)) assert.equal(compileGlob(p, 'libbpf').test(s), globSpec(s, p), `"${s}" ~ "${p}"`);
  const g = compileGlob('tcp_v?_*', 'libbpf');
  assert.ok(g.test('tcp_v4_connect') && g.test('tcp_v6_') && !g.test('tcp_v44_connect'));
  assert.ok(!compileGlob('tcp.*', 'libbpf').test('tcpX'), 'dots are literal');
  assert.ok(!compileGlob('vfs_[rw]*', 'libbpf').test('vfs_read'), 'no character classes');
  assert.ok(compileGlob('a{b,c}', 'libbpf').test('a{b,c}'), 'no braces');
  assert.equal(compileGlob('security_*', 'libbpf').firstStar('security_file_open'), 'file_open');
  assert.equal(compileGlob('vfs_*', 'libbpf').prefix, 'vfs_');
  assert.ok(hasWildcard('vfs_rea?', 'libbpf') && !hasWildcard('vfs_read', 'libbpf'));
});

test('bpftrace wildcard: `*` only, tokens at their first occurrence', () => {
  const t = (p: string, s: string) => compileGlob(p, 'bpftrace').test(s);
  assert.ok(t('vfs_*', 'vfs_read') && t('*sleep*', 'do_nanosleep') && t('*_read', 'vfs_read') && t('*', 'anything'));
  assert.ok(t('tcp_*_rcv', 'tcp_v4_rcv') && !t('tcp_*_rcv', 'tcp_v4_rcv_x'));
  assert.ok(!t('vfs_rea?', 'vfs_read') && t('vfs_rea?', 'vfs_rea?'), '? is an ordinary character');
  assert.ok(!hasWildcard('vfs_rea?', 'bpftrace') && hasWildcard('vfs_*', 'bpftrace'));
  // bpftrace (util/wildcard.cpp) takes each token at its first occurrence after the previous one,
  // so a pattern that must end on a token repeated earlier in the name does not match there.
  assert.ok(!t('*_read', 'xfs_read_file_read') && compileGlob('*_read', 'libbpf').test('xfs_read_file_read'));
  assert.ok(t('*ab', 'cab') && !t('*ab', 'abab'));
  assert.equal(compileGlob('vfs_*', 'bpftrace').firstStar('vfs_write'), 'write');
});

test('name walks visit each name once and stop at the limit; counting stops early', () => {
  const names = Array.from({ length: 1000 }, (_, i) => `fn_${String(i).padStart(4, '0')}`);
  let visited = 0;
  const counted = { *[Symbol.iterator]() { for (const n of names) { visited++; yield n; } } };
  const all = compileGlob('fn_*', 'libbpf');
  assert.deepEqual(matchNames(counted, all, 10), { names: names.slice(0, 10), truncated: true });
  assert.equal(visited, 11);
  visited = 0;
  assert.equal(countMatches(counted, all, 1), 1);
  assert.equal(visited, 1, 'an existence test stops at the first match');
  assert.deepEqual(matchSortedNames(names, compileGlob('fn_009*', 'libbpf')).names, names.slice(90, 100));
});

test('kprobe:* over a whole kernel decodes no more functions than the limit needs', () => {
  const atlas = new Atlas({ live: false });
  const ctx = { cache: new AnalysisCache() };
  const real = atlas.get('debian-12');
  let decoded = 0;
  const counting: KernelQuery = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'fn') return (name: string) => { decoded++; return target.fn(name); };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const { symbols, truncated } = matchFunctionGlob(ctx, counting, '*', 'bpftrace', 500);
  assert.equal(symbols.length, 500);
  assert.ok(truncated);
  // Each name up to the 500th match is decoded once (names without a symbol match nothing), and
  // none after it.
  const lastBase = baseName(symbols[symbols.length - 1]);
  assert.ok(decoded <= real.functionNames().indexOf(lastBase) + 2, `decoded ${decoded} functions for 500 matches`);
  // A pattern that can only match suffixed copies still skips the names that cannot have one.
  decoded = 0;
  const isra = matchFunctionGlob(ctx, counting, 'finish_task_switch.isra.*', 'libbpf');
  assert.deepEqual(isra.symbols, ['finish_task_switch.isra.0']);
  assert.equal(decoded, 1);
});
