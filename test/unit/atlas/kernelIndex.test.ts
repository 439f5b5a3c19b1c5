// KernelIndex name lookups go through a decoded sample of the sorted name table; they must find
// exactly what a walk over the whole list finds: every name (with its module copies), names
// around the sample points and the table's ends, absent names between real ones, and prefixes.
// Real data: the bundled Debian 12 kernel (~275,000 function records, module copies included).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Atlas } from '../../../server/src/atlas/atlas';

describe('KernelIndex lookups by name', () => {
  const kernel = new Atlas({ live: false }).get('debian-12');
  const names = kernel.functionNames();

  it('finds every name, with all its records, and nothing for names between them', () => {
    assert.ok(names.length > 200000, `${names.length} names`);
    const counts = new Map<string, number>();
    for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
    // Every 97th name, the names next to every 32nd position (the sample), and both ends.
    const picked = new Set<string>([names[0], names[names.length - 1]]);
    for (let i = 0; i < names.length; i += 97) picked.add(names[i]);
    for (let i = 0; i < names.length; i += 32 * 41) for (const d of [-1, 0, 1]) if (names[i + d]) picked.add(names[i + d]);
    for (const name of picked) {
      assert.equal(kernel.fn(name)?.name, name, name);
      assert.equal(kernel.fnAll!(name).length, counts.get(name), `${name} records`);
      assert.equal(kernel.fn(`${name}\u0001`), undefined, `${name}\\u0001`);
    }
    assert.equal(kernel.fn(''), undefined);
    assert.equal(kernel.fn('\u0000'), undefined);
    assert.equal(kernel.fn('\uffff'), undefined);
    assert.equal(kernel.fn('vfs_read')?.name, 'vfs_read');
  });

  it('lists names by prefix as a walk over the sorted list does', () => {
    const sorted = [...new Set(names)].sort();
    for (const prefix of ['', 'a', 'vfs_', 'tcp_v4_', 'zzzz', '__x64_sys_', 'ext4_', names[12345].slice(0, 6)]) {
      const expected = sorted.filter((n) => n.startsWith(prefix)).slice(0, 150);
      assert.deepEqual(kernel.functionNamesWithPrefix!(prefix, 150), expected, prefix);
    }
  });
});
