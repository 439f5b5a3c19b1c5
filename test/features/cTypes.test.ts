// C type spellings: DWARF/DepSurf (`long unsigned int`) and BTF/tracefs (`unsigned long`) name the
// same type and must never be reported as a change, checked on the helper and on real atlas data.

import assert from 'node:assert/strict';
import test from 'node:test';
import { attachReport } from '../../server/src/analysis/report';
import { cTypeKey as canonicalCType, sameCType } from '../../server/src/model/cTypes';
import { featureContext } from './fixture';

test('integer spellings of one type compare equal', () => {
  const same: [string, string][] = [
    ['long int', 'long'], ['long unsigned int', 'unsigned long'], ['unsigned', 'unsigned int'],
    ['short int', 'short'], ['short unsigned int', 'unsigned short'], ['long long unsigned int', 'unsigned long long'],
    ['signed int', 'int'], ['const long int *', 'long *'], ['long unsigned int[4]', 'unsigned long [4]'],
  ];
  for (const [a, b] of same) assert.ok(sameCType(a, b), `${a} = ${b}`);
  const different: [string, string][] = [
    ['signed char', 'char'], ['unsigned char', 'char'], ['long', 'long long'], ['unsigned int', 'int'],
    ['long *', 'long'], ['struct file *', 'struct inode *'],
  ];
  for (const [a, b] of different) assert.ok(!sameCType(a, b), `${a} ≠ ${b}`);
  assert.equal(canonicalCType('long unsigned int'), 'unsigned long');
  assert.equal(canonicalCType('const char *'), 'const char*');
});

test('vmalloc:alloc_vmap_area: ubuntu-24.04 (long unsigned int) and debian-13 (unsigned long) report no field change', () => {
  const ctx = featureContext(['ubuntu-24.04', 'debian-13']);
  const ubuntu = ctx.atlas.get('ubuntu-24.04').tracepoint('alloc_vmap_area', 'vmalloc');
  const debian = ctx.atlas.get('debian-13').tracepoint('alloc_vmap_area', 'vmalloc');
  // The data really spells them differently (else this test proves nothing).
  assert.equal(ubuntu?.fields?.find((f) => f.name === 'addr')?.type, 'long unsigned int');
  assert.equal(debian?.fields?.find((f) => f.name === 'addr')?.type, 'unsigned long');
  const report = attachReport({ kind: 'tracepoint', name: 'alloc_vmap_area', system: 'vmalloc' }, ctx);
  assert.deepEqual(report.differences, [], JSON.stringify(report.differences));
  // DepSurf data may leave a kernel `unknown` (information), never a warning about the fields.
  assert.ok(report.worst === 'ok' || report.worst === 'info', report.worst);
});
