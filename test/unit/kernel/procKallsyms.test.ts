// kallsyms / System.map text tests: real excerpts of /proc/kallsyms read as root and as nobody
// (zeroed addresses), the live /proc/kallsyms when readable, Debian's placeholder System.map, the
// module column, and the compiler-suffix naming rules. The running-kernel index's byte scan
// (KallsymsScanner) is checked against the grouping parseKallsyms's records imply, on the same
// texts, whole and cut into pieces anywhere.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  KallsymsIndex, KallsymsScanner, KallsymsTable, KernelSymbol, parseKallsyms, scanKallsyms,
  isTextType,
} from '../../../server/src/kernel/procKallsyms';
import { baseName as symbolBaseName, isPaddingLabel as isPaddingSymbol, suffixKinds as symbolSuffixes } from '../../../server/src/model/symbols';
import { KernelDataError } from '../../../server/src/kernel/errors';
import { NameTable, hashBytes } from '../../../server/src/kernel/nameTable';
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

// ---- KallsymsScanner / KallsymsIndex: the running-kernel index's scan, checked against what
// parseKallsyms's records say the grouping must be.

type Grouped = Map<string, [string, string, boolean][]>;

/** Base name → [symbol, module, init-only] of its code symbols, from an index. */
function grouped(index: KallsymsIndex): Grouped {
  const out: Grouped = new Map();
  for (let e = 0; e < index.bases.size; e++) {
    out.set(index.bases.name(e), index.symbolsOf(e).map((i) => [index.symbolName(i), index.moduleOf(i) ?? '', index.isInit(i)]));
  }
  return out;
}

/** The same grouping computed from parseKallsyms's records (BigInt addresses, regex lines):
 *  code symbols that are not padding, `.`-labels apart, vmlinux symbols outside the text
 *  ranges dropped, address order within a base when the ranges are known. */
function expectedGroups(t: KallsymsTable): { groups: Grouped; extra: string[]; ranged: boolean } {
  const first = (n: string) => t.symbols.find((s) => s.name === n && !s.module)?.addr;
  const [stext, etext, sinit, einit] = ['_stext', '_etext', '_sinittext', '_einittext'].map(first);
  const ranged = !t.addressesZeroed && stext !== undefined && etext !== undefined;
  const init = (a: bigint) => sinit !== undefined && einit !== undefined && a >= sinit && a < einit;
  const inText = (a: bigint) => (a >= stext! && a < etext!) || init(a);
  const extra = new Set<string>();
  const bySymbol = new Map<string, KernelSymbol[]>();
  for (const s of t.symbols) {
    if (!isTextType(s.type) || isPaddingSymbol(s.name)) continue;
    if (s.name.startsWith('.')) {
      extra.add(s.name);
      continue;
    }
    if (ranged && !s.module && !inText(s.addr)) continue;
    const base = symbolBaseName(s.name);
    const list = bySymbol.get(base);
    if (list) list.push(s);
    else bySymbol.set(base, [s]);
  }
  const groups: Grouped = new Map();
  for (const [base, list] of bySymbol) {
    if (ranged) list.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
    groups.set(base, list.map((s) => [s.name, s.module ?? '', ranged && !s.module && init(s.addr)]));
  }
  return { groups, extra: [...extra].sort(), ranged };
}

function assertSameAsRecords(index: KallsymsIndex, t: KallsymsTable): void {
  const want = expectedGroups(t);
  assert.deepEqual(grouped(index), want.groups);
  assert.deepEqual(index.extra, want.extra);
  assert.equal(index.addressesZeroed, t.addressesZeroed);
  assert.equal(!!index.ranges, want.ranged);
  assert.equal(index.hasModules, t.symbols.some((s) => s.module));
}

/** `text` pushed in pieces cut at the given offsets (mid-line as often as not). */
function scanInPieces(bytes: Uint8Array, cuts: number[], file: string): KallsymsIndex {
  const scanner = new KallsymsScanner();
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    scanner.push(bytes.subarray(at, c));
    at = c;
  }
  return scanner.finish(file);
}

test('scanKallsyms groups the real excerpts as the parsed records say (root and nobody views)', () => {
  for (const f of ['proc-kallsyms-root.txt', 'proc-kallsyms-nobody.txt']) {
    const text = read(f);
    const index = scanKallsyms(Buffer.from(text, 'latin1'), f);
    assertSameAsRecords(index, parseKallsyms(text, f));
    assert.ok(index.bases.find('finish_task_switch') >= 0, f);
    assert.equal(index.bases.find('__pfx_vfs_read'), -1, 'padding labels are not functions');
  }
  const root = scanKallsyms(Buffer.from(read('proc-kallsyms-root.txt'), 'latin1'), 'root');
  assert.ok(root.ranges, 'the root excerpt has _stext/_etext');
  assert.deepEqual(root.symbolsOf(root.bases.find('finish_task_switch')).map((i) => root.symbolName(i)), ['finish_task_switch.isra.0']);
});

test('scanKallsyms: modules, weak symbols, local labels, CRLF and blank lines', () => {
  const text = 'ffffffff81000000 T _stext\r\n\nffffffff81001000 W arch_foo\nffffffff81001100 t .L_local\n'
    + 'ffffffff81001200 t foo.cold\nffffffff81001300 t foo\nffffffff81001400 d foo_data\nffffffff82000000 T _etext\n'
    + 'ffffffffc0a01000 t ext4_file_read_iter\t[ext4]\nffffffffc0a01100 t ext4_file_read_iter.cold\t[ext4]\n'
    + 'ffffffffc0b01000 t demo_read\t[demo]\nffffffff81002000 t foo\t[demo]';
  const index = scanKallsyms(Buffer.from(text), 'mixed');
  assertSameAsRecords(index, parseKallsyms(text, 'mixed'));
  const foo = grouped(index).get('foo');
  assert.deepEqual(foo, [['foo.cold', '', false], ['foo', '', false], ['foo', 'demo', false]]);
  assert.deepEqual(index.extra, ['.L_local']);
  assert.equal(index.bases.find('foo_data'), -1, 'data is not code');
});

test('scanKallsyms: text out of address order is grouped as the records say all the same', () => {
  // The scan groups base names as lines arrive, guessing from the boundaries seen so far; a
  // vmlinux function listed before _stext, or a data symbol typed `t` between the ranges, must
  // still end up where the final ranges put it.
  const text = 'ffffffff81001000 t early_fn\nffffffff81000000 T _stext\nffffffff81001100 t early_fn.cold\n'
    + 'ffffffff81002000 T _etext\nffffffff81003000 t data_typed_t\nffffffff81004000 T _sinittext\n'
    + 'ffffffff81004100 t init_fn\nffffffff81005000 T _einittext\nffffffff81000800 t late_listed\n';
  const index = scanKallsyms(Buffer.from(text), 'odd order');
  assertSameAsRecords(index, parseKallsyms(text, 'odd order'));
  const groups = grouped(index);
  assert.deepEqual(groups.get('early_fn'), [['early_fn', '', false], ['early_fn.cold', '', false]]);
  assert.deepEqual(groups.get('init_fn'), [['init_fn', '', true]]);
  assert.equal(groups.has('data_typed_t'), false, 'outside the text ranges');
  assert.equal(groups.has('late_listed'), true);
  // An init range that never ends (no _einittext): what the scan took for init text is not.
  const noEnd = 'ffffffff81000000 T _stext\nffffffff81001000 t fn\nffffffff81002000 T _etext\n'
    + 'ffffffff81004000 T _sinittext\nffffffff81004100 t init_fn\nffffffff81004200 t init_fn.cold\n';
  const unended = scanKallsyms(Buffer.from(noEnd), 'no end');
  assertSameAsRecords(unended, parseKallsyms(noEnd, 'no end'));
  assert.equal(unended.bases.find('init_fn'), -1);
  assert.ok(unended.bases.find('fn') >= 0);
});

test('scanKallsyms: the errors and the tolerance parseKallsyms has', () => {
  const garbage = fs.readFileSync(__filename);
  assert.throws(() => scanKallsyms(garbage, __filename), (e: unknown) => {
    assert.ok(e instanceof KernelDataError);
    assert.throws(() => parseKallsyms(garbage.toString('latin1'), __filename), { message: (e as Error).message });
    return true;
  });
  assert.throws(() => scanKallsyms(new Uint8Array(0), 'empty.map'), /empty\.map: no symbols \(empty file\)/);
  // A stray line in a real table is tolerated.
  const text = read('proc-kallsyms-root.txt') + 'not a symbol line\n';
  assertSameAsRecords(scanKallsyms(Buffer.from(text, 'latin1'), 'stray'), parseKallsyms(text, 'stray'));
});

test('live /proc/kallsyms: the scan groups as the parsed records say, whole or in pieces', { skip: fs.existsSync(LIVE) ? false : 'no /proc/kallsyms' }, () => {
  const bytes = fs.readFileSync(LIVE);
  const whole = scanKallsyms(bytes, LIVE);
  assertSameAsRecords(whole, parseKallsyms(bytes.toString('latin1'), LIVE));
  assert.ok(whole.bases.find('vfs_read') >= 0);
  // Pieces cut anywhere (a reader thread hands over line-aligned chunks, but the scanner must
  // not depend on it): tiny ones, one-byte ones, and large ones.
  const cuts: number[] = [];
  let x = 12345;
  for (let at = 1, k = 0; at < bytes.length; k++) {
    cuts.push(at);
    x = (x * 1103515245 + 12345) % 2147483648;
    at += k % 3 === 0 ? 1 + (x % 40) : 1 + (x % 200000);
  }
  const pieces = scanInPieces(bytes, cuts, LIVE);
  assert.deepEqual(grouped(pieces), grouped(whole));
  assert.deepEqual(pieces.extra, whole.extra);
  assert.deepEqual(pieces.ranges, whole.ranges);
});

test('base names are looked up in known names as they are scanned, or at the end for earlier chunks', () => {
  const text = read('proc-kallsyms-root.txt');
  const bytes = Buffer.from(text, 'latin1');
  // Known names: every other base name of the excerpt, plus names it lacks.
  const all = grouped(scanKallsyms(bytes, 'root'));
  const chosen = [...all.keys()].filter((_, i) => i % 2 === 0);
  const knownText = [...chosen, 'not_in_kallsyms', 'vfs_read_not'].join('\0');
  const known = new NameTable(knownText);
  let at = 0;
  for (const name of knownText.split('\0')) {
    known.add(at, name.length, hashBytes(Buffer.from(name, 'latin1'), 0, name.length));
    at += name.length + 1;
  }
  const half = bytes.indexOf(10, bytes.length >> 1) + 1;
  const early = new KallsymsScanner();
  early.setKnown(known);
  early.push(bytes);
  const late = new KallsymsScanner();
  late.push(bytes.subarray(0, half));
  late.setKnown(known);
  late.push(bytes.subarray(half));
  for (const index of [early.finish('early'), late.finish('late'), scanKallsyms(bytes, 'whole', known)]) {
    for (let e = 0; e < index.bases.size; e++) assert.equal(index.isKnown(e), chosen.includes(index.bases.name(e)), index.bases.name(e));
  }
  assert.equal(scanKallsyms(bytes, 'none').isKnown(0), undefined, 'no known names given');
});
