// NameTable: a set of names held as ranges of one latin1 string. Checked with the symbol names of
// the real kallsyms excerpt against a plain Set: adding (from a small table that must grow and
// rehash), finding by string, by range of another text and by bytes, listing, prefixes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { NameTable, hashBytes } from '../../../server/src/kernel/nameTable';
import { repoRoot } from '../../repoRoot';

const EXCERPT = path.join(repoRoot(), 'test/fixtures/kernel/kallsyms/proc-kallsyms-root.txt');

test('NameTable holds the names of a text once each, as a Set would', () => {
  const names = fs.readFileSync(EXCERPT, 'latin1').trim().split('\n').map((l) => l.split(/\s+/)[2]);
  const withRepeats = [...names, ...names.slice(0, 10)];
  const text = withRepeats.join('\n');
  const bytes = Buffer.from(text, 'latin1');
  const table = new NameTable(text, 4); // far too small: grows and rehashes
  let at = 0;
  const entries: number[] = [];
  for (const n of withRepeats) {
    entries.push(table.add(at, n.length, hashBytes(bytes, at, n.length)));
    at += n.length + 1;
  }
  const distinct = [...new Set(withRepeats)];
  assert.equal(table.size, distinct.length);
  assert.deepEqual(table.names(), distinct, 'in the order first added');
  for (let i = 0; i < withRepeats.length; i++) assert.equal(table.name(entries[i]), withRepeats[i]);
  const other = `xx${distinct.join('|')}`;
  const otherBytes = Buffer.from(other, 'latin1');
  let off = 2;
  for (const n of distinct) {
    const e = table.find(n);
    assert.equal(table.name(e), n);
    assert.equal(table.findRange(other, off, n.length, hashBytes(otherBytes, off, n.length)), e);
    assert.equal(table.findBytes(otherBytes, off, n.length, hashBytes(otherBytes, off, n.length)), e);
    off += n.length + 1;
  }
  for (const missing of ['', 'vfs_rea', 'vfs_read_', 'vfs_read\u0101', '\u4e2d']) assert.equal(table.find(missing), -1, missing);
  assert.equal(table.has('vfs_read'), true);
  assert.deepEqual(table.withPrefix('vfs_').map((e) => table.name(e)), distinct.filter((n) => n.startsWith('vfs_')));
  assert.equal(table.withPrefix('').length, distinct.length);
});
