// kallsyms tables decoded from a stripped Debian 12 vmlinux, checked against the System.map the
// reference decoder produced from the same image (test/fixtures/oracle/README.md).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { parseElf } from '../../../server/src/kernel/elf';
import { isKernelDataError } from '../../../server/src/kernel/errors';
import { addressHex, decodeKallsyms, formatSystemMap, fromAddress, toAddress } from '../../../server/src/kernel/kallsymsImage';
import { TextMap } from '../../../server/src/kernel/symbols';
import { baseName, suffixKinds } from '../../../server/src/model/symbols';
import { debianVmlinux, oracle } from '../../../scripts/debian/testInputs';

interface Oracle { kallsyms: { count: number; sha256: string; sample: string[] } }

describe('decodeKallsyms on the debian-12 vmlinux', () => {
  const vm = debianVmlinux('debian-12');
  const elf = parseElf(vm.bytes, vm.file);
  const decoded = decodeKallsyms(elf);
  const want = oracle<Oracle>('debian-12.json').kallsyms;

  it('finds every symbol with the ≤6.1 layout (offsets + relative base, absolute percpu)', () => {
    assert.equal(decoded.layout, 'offsets-before-num-syms');
    assert.equal(decoded.absolutePercpu, true);
    // KERNEL-DATA.md: 94,266 of the real System.map's 94,280 lines (14 are linker-absolute).
    assert.equal(decoded.symbols.length, want.count);
    assert.equal(decoded.symbols.length, 94_266);
  });

  it('reproduces the reference System.map byte for byte', () => {
    const map = formatSystemMap(decoded.symbols);
    assert.equal(crypto.createHash('sha256').update(map).digest('hex'), want.sha256);
    const lines = new Set(map.split('\n'));
    for (const l of want.sample) assert.ok(lines.has(l), l);
  });

  it('classifies text by address: finish_task_switch exists only as .isra.0, blk_account_io_start not at all', () => {
    const text = new TextMap(decoded.symbols, vm.file);
    const names = new Set(text.functions.map((f) => f.name));
    assert.ok(names.has('finish_task_switch.isra.0'));
    assert.ok(!names.has('finish_task_switch'));
    assert.ok(names.has('do_sys_open'));
    assert.ok(!names.has('blk_account_io_start'));
    assert.equal(text.functions.length, 49_546); // KERNEL-DATA.md: text symbols in _stext.._etext + init text
    const inInit = text.functions.filter((f) => text.inInitText(f.addr)).length;
    assert.equal(inInit, 2_460);
    const f = text.functions.find((x) => x.name === 'do_sys_open')!;
    assert.equal(text.functionAt(f.addr + 5)?.name, 'do_sys_open');
  });

  it('keeps kernel addresses exact as signed numbers', () => {
    const stext = decoded.symbols.find((s) => s.name === '_stext')!;
    assert.equal(toAddress(stext.addr), 0xffffffff81000000n);
    assert.equal(fromAddress(0xffffffff81000000n), stext.addr);
    assert.equal(addressHex(stext.addr), 'ffffffff81000000');
  });

  it('reports an image without kallsyms tables, naming the file', () => {
    const copy = new Uint8Array(vm.bytes);
    const ro = elf.section('.rodata')!;
    copy.fill(0, ro.offset, ro.offset + ro.size);
    assert.throws(() => decodeKallsyms(parseElf(copy, 'wiped-vmlinux')),
      (e) => isKernelDataError(e) && e.file === 'wiped-vmlinux' && /token table not found/.test(e.message));
  });
});

// KERNEL-DATA.md table: symbols total, text symbols in the text ranges, __pfx_/__cfi_ labels among them.
const OTHER_LAYOUTS = [
  { id: 'debian-13', layout: 'offsets-after-token-index', symbols: 166_692, text: 110_556, padding: 51_610 },
  { id: 'debian-sid', layout: 'pc-relative', symbols: 199_097, text: 125_512, padding: 57_366 },
] as const;

for (const k of OTHER_LAYOUTS) {
  describe(`decodeKallsyms on the ${k.id} vmlinux (${k.layout})`, () => {
    const vm = debianVmlinux(k.id);
    const decoded = decodeKallsyms(parseElf(vm.bytes, vm.file));

    it('finds every symbol, in address order', () => {
      assert.equal(decoded.layout, k.layout);
      assert.equal(decoded.symbols.length, k.symbols);
      const kernel = decoded.symbols.filter((s) => s.addr < 0);
      for (let i = 1; i < kernel.length; i++) assert.ok(kernel[i - 1].addr <= kernel[i].addr, `sorted at ${kernel[i].name}`);
      assert.equal(addressHex(decoded.symbols.find((s) => s.name === '_stext')!.addr), 'ffffffff81000000');
    });

    it('reproduces the reference System.map byte for byte', () => {
      const want = oracle<Record<string, { count: number; sha256: string }>>('kallsyms-other.json')[k.id];
      assert.equal(decoded.symbols.length, want.count);
      assert.equal(crypto.createHash('sha256').update(formatSystemMap(decoded.symbols)).digest('hex'), want.sha256);
    });

    it('classifies text by address range, not by type letter, and drops padding labels', () => {
      const text = new TextMap(decoded.symbols, vm.file);
      const r = text.ranges;
      const inRange = decoded.symbols.filter((s) => 'tTwW'.includes(s.type) && text.inText(s.addr) && !s.name.startsWith('.'));
      assert.equal(inRange.length, k.text);
      assert.equal(inRange.length - text.functions.length, k.padding);
      assert.ok(text.functions.every((f) => (f.addr >= r.stext && f.addr < r.etext) || (f.addr >= r.sinittext && f.addr < r.einittext)));
      const lettersSayText = decoded.symbols.filter((s) => 'tT'.includes(s.type) && !text.inText(s.addr));
      if (k.id === 'debian-sid') {
        // 7.2's .data is WAX: data symbols such as __tracepoint_* carry t/T letters.
        assert.ok(lettersSayText.some((s) => s.name === '__tracepoint_sched_switch'));
      }
    });
  });
}

describe('compiler suffixes', () => {
  it('gives base names and kinds of chained suffixes', () => {
    assert.equal(baseName('finish_task_switch.isra.0'), 'finish_task_switch');
    assert.equal(baseName('__clk_lookup_subtree.part.0.isra.0'), '__clk_lookup_subtree');
    assert.equal(baseName('foo.cold'), 'foo');
    assert.equal(baseName('vfs_read'), 'vfs_read');
    assert.deepEqual(suffixKinds('a.constprop.0.isra.0'), ['constprop', 'isra']);
  });
});
