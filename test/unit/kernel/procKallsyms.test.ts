// kallsyms / System.map text tests: real excerpts of /proc/kallsyms read as root and as nobody
// (zeroed addresses), the live /proc/kallsyms when readable, Debian's placeholder System.map, the
// module column, and the compiler-suffix naming rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  parseKallsyms, symbolBaseName, symbolSuffixes, isPaddingSymbol, isTextType,
} from '../../../server/src/kernel/procKallsyms';
import { KernelDataError } from '../../../server/src/kernel/errors';
import { repoRoot } from '../../repoRoot';

const DIR = path.join(repoRoot(), 'test/fixtures/kernel/kallsyms');
const read = (f: string) => fs.readFileSync(path.join(DIR, f), 'utf8');

test('root view: BigInt addresses, types, text boundaries', () => {
  const file = path.join(DIR, 'proc-kallsyms-root.txt');
  const t = parseKallsyms(read('proc-kallsyms-root.txt'), file);
  assert.equal(t.addressesZeroed, false);
  assert.equal(t.symbols.length, read('proc-kallsyms-root.txt').trim().split('\n').length);
  const byName = new Map(t.symbols.map((s) => [s.name, s]));
  const vfsRead = byName.get('vfs_read')!;
  assert.equal(vfsRead.type, 'T');
  assert.ok(vfsRead.addr > 0xffffffff80000000n, 'a kernel address, exact as BigInt');
  assert.ok(byName.get('_stext')!.addr <= vfsRead.addr && vfsRead.addr < byName.get('_etext')!.addr);
  // The padding label sits just before its function.
  assert.equal(byName.get('__pfx_vfs_read')!.addr + 16n, vfsRead.addr);
});

test('non-root view: every address zero, names and types kept', () => {
  const t = parseKallsyms(read('proc-kallsyms-nobody.txt'), 'proc-kallsyms-nobody.txt');
  assert.equal(t.addressesZeroed, true);
  assert.ok(t.symbols.some((s) => s.name === 'finish_task_switch.isra.0' && s.type === 't'));
  const rootNames = new Set(parseKallsyms(read('proc-kallsyms-root.txt'), 'root').symbols.map((s) => s.name));
  assert.ok(t.symbols.every((s) => rootNames.has(s.name)));
});

test('module column, weak symbols, blank lines', () => {
  const t = parseKallsyms('ffffffffc0a01000 t ext4_file_read_iter\t[ext4]\n\nffffffff81001000 W arch_foo\n', 'mod');
  assert.deepEqual(t.symbols, [
    { addr: 0xffffffffc0a01000n, type: 't', name: 'ext4_file_read_iter', module: 'ext4' },
    { addr: 0xffffffff81001000n, type: 'W', name: 'arch_foo' },
  ]);
  assert.ok(isTextType('W') && isTextType('t') && !isTextType('D'));
});

test("Debian's placeholder System.map, empty and random text give KernelDataError", () => {
  const map = path.join(DIR, 'debian-6.1-System.map');
  assert.throws(() => parseKallsyms(fs.readFileSync(map, 'utf8'), map), (e: unknown) =>
    e instanceof KernelDataError && e.file === map && /placeholder.*-dbg/.test(e.message));
  assert.throws(() => parseKallsyms('', 'empty.map'), /empty\.map: no symbols/);
  assert.throws(() => parseKallsyms(fs.readFileSync(__filename, 'utf8'), __filename), KernelDataError);
});

test('compiler suffixes and padding labels', () => {
  assert.equal(symbolBaseName('finish_task_switch.isra.0'), 'finish_task_switch');
  assert.equal(symbolBaseName('tcp_v4_rcv.cold'), 'tcp_v4_rcv');
  assert.equal(symbolBaseName('a_b.constprop.0.isra.0'), 'a_b');
  assert.equal(symbolBaseName('foo.llvm.1234567'), 'foo');
  assert.equal(symbolBaseName('vfs_read'), 'vfs_read');
  assert.equal(symbolBaseName('.E_copy'), '.E_copy');
  assert.deepEqual(symbolSuffixes('a_b.constprop.0.isra.0'), ['constprop', 'isra']);
  assert.ok(isPaddingSymbol('__pfx_vfs_read') && isPaddingSymbol('__cfi_vfs_read') && !isPaddingSymbol('vfs_read'));
  // Every suffixed text symbol of the real excerpt maps to a base that is a plausible C name.
  for (const s of parseKallsyms(read('proc-kallsyms-root.txt'), 'root').symbols) {
    if (symbolSuffixes(s.name).length) assert.match(symbolBaseName(s.name), /^(__pfx_)?[A-Za-z_]\w*$/, s.name);
  }
});

const LIVE = '/proc/kallsyms';
test('live /proc/kallsyms parses completely', { skip: fs.existsSync(LIVE) ? false : 'no /proc/kallsyms' }, () => {
  const text = fs.readFileSync(LIVE, 'utf8');
  const t = parseKallsyms(text, LIVE);
  assert.equal(t.symbols.length, text.split('\n').filter((l) => l.trim()).length, 'every line is a symbol');
  assert.ok(t.symbols.some((s) => s.name === 'vfs_read' && isTextType(s.type)));
});
