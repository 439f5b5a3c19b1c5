// The spelling index gives exactly what aligning every name gives (its bounds only skip names that
// cannot be within the distance), and so does its scan, on a real kernel's ~60,000 function names
// and misspellings made from them: dropped, doubled, swapped and replaced characters, and names
// that match nothing.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Atlas } from '../../../server/src/atlas/atlas';
import { editDistance, SpellingIndex, type SpellingMatch } from '../../../server/src/analysis/spelling';

/** The reference: every name aligned, ranked as documented (nearest, longest common prefix, name). */
function scan(names: readonly string[], wanted: string, max: number, limit: number, accept: (n: string) => boolean): SpellingMatch[] {
  const prefix = (a: string, b: string) => { let i = 0; while (i < a.length && i < b.length && a[i] === b[i]) i++; return i; };
  return [...new Set(names)]
    .filter((n) => n !== wanted)
    .map((name) => ({ name, distance: editDistance(wanted, name, max) }))
    .filter((m) => m.distance <= max)
    .sort((x, y) => x.distance - y.distance || prefix(wanted, y.name) - prefix(wanted, x.name) || x.name.localeCompare(y.name))
    .filter((m) => accept(m.name))
    .slice(0, limit);
}

const maxFor = (w: string) => Math.max(1, Math.min(4, Math.floor(w.length / 4)));

function misspellings(names: readonly string[], count: number): string[] {
  const out: string[] = [];
  const step = Math.floor(names.length / count);
  for (let i = 0; out.length < count; i += step) {
    const s = names[i];
    const p = (i * 7) % Math.max(1, s.length - 1);
    switch (out.length % 5) {
      case 0: out.push(s.slice(0, p) + s.slice(p + 1)); break;
      case 1: out.push(s.slice(0, p) + s[p] + s.slice(p)); break;
      case 2: out.push(s.slice(0, p) + s[p + 1] + s[p] + s.slice(p + 2)); break;
      case 3: out.push(s.slice(0, p) + 'q' + s.slice(p + 1)); break;
      default: out.push(`zz${s.split('').reverse().join('')}`); break;
    }
  }
  return out;
}

describe('SpellingIndex', () => {
  const names = new Atlas({ live: false }).get('ubuntu-22.04').functionNames();
  const index = new SpellingIndex(names);

  it('indexes each distinct name once', () => {
    assert.equal(index.size, new Set(names).size);
    assert.ok(index.size > 50000, `${index.size} names`);
  });

  it('finds what a full scan finds, in the same order, for real misspellings', () => {
    const everyName = () => true;
    const someNames = (n: string) => n.charCodeAt(n.length - 1) % 3 !== 0; // a stand-in for "on every target"
    for (const wanted of misspellings(names, 40)) {
      const all = scan(names, wanted, maxFor(wanted), Infinity, everyName);
      for (const [limit, accept] of [[5, everyName], [3, someNames], [50, everyName]] as const) {
        const expected = all.filter((m) => accept(m.name)).slice(0, limit);
        assert.deepEqual(index.closest(wanted, maxFor(wanted), limit, accept), expected, `${wanted} (limit ${limit})`);
        if (limit === 5) assert.deepEqual(SpellingIndex.scan(names, wanted, maxFor(wanted), limit, accept), expected, `scan ${wanted}`);
      }
    }
  });

  it('ranks the obvious correction first', () => {
    assert.equal(index.closest('vfs_raed', 2, 5)[0]?.name, 'vfs_read');
    assert.equal(index.closest('tcp_sendmsj', 2, 5)[0]?.name, 'tcp_sendmsg');
    assert.equal(index.closest('schedul', 1, 5)[0]?.name, 'schedule');
  });

  it('answers short names (no bigram bound) and names that match nothing', () => {
    assert.deepEqual(index.closest('ab', 1, 5), scan(names, 'ab', 1, 5, () => true));
    assert.deepEqual(index.closest('', 1, 5), scan(names, '', 1, 5, () => true));
    assert.deepEqual(index.closest('qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq', 4, 5), []);
    assert.deepEqual(new SpellingIndex([]).closest('vfs_read', 2, 5), []);
  });
});
