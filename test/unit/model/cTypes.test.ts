// The one C type normaliser (model/cTypes.ts): the display spelling the readers store and show,
// and the comparison key every feature compares with.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cTypeKey, normalizeCType, sameCType } from '../../../server/src/model/cTypes';

test('display spelling: one space before a run of stars, none inside parentheses', () => {
  assert.equal(normalizeCType('struct  request  * *'), 'struct request **');
  assert.equal(normalizeCType('char*'), 'char *');
  assert.equal(normalizeCType('void ( * )( int ,long )'), 'void (*)(int, long)');
  assert.equal(normalizeCType('char * const'), 'char * const');
  assert.equal(normalizeCType('long unsigned int *', { integers: 'canonical' }), 'unsigned long *');
  assert.equal(normalizeCType('const char __user *', { qualifiers: 'drop' }), 'char *');
});

test('comparison key: integer words canonical, compact spacing, qualifiers kept unless dropped', () => {
  assert.equal(cTypeKey('long unsigned int'), 'unsigned long');
  assert.equal(cTypeKey('const char *'), 'const char*');
  assert.equal(cTypeKey('const char __user *', { dropQualifiers: true }), 'char*');
  assert.ok(sameCType('short unsigned int', 'unsigned short') && sameCType('const struct file *', 'struct file*'));
  assert.ok(!sameCType('unsigned char', 'char') && !sameCType('long', 'long long') && !sameCType('struct a *', 'struct b *'));
});
