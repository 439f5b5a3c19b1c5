// ELF64 reader on a real Debian 12 vmlinux (and its bad-input handling).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SHT_NOBITS, parseElf } from '../../../server/src/kernel/elf';
import { isKernelDataError } from '../../../server/src/kernel/errors';
import { debianVmlinux } from '../../../scripts/debian/testInputs';

describe('parseElf on the debian-12 vmlinux', () => {
  const vm = debianVmlinux('debian-12');
  const elf = parseElf(vm.bytes, vm.file);

  it('reads the section table with exact 64-bit addresses', () => {
    assert.equal(elf.elfType, 2);
    const btf = elf.section('.BTF');
    assert.ok(btf, '.BTF present');
    // KERNEL-DATA.md: elfy rounded this address to 18446744071600610000; BigInt keeps it exact.
    assert.equal(btf.addr, 0xffffffff824c1b88n);
    assert.equal(btf.size, 4_359_789);
    assert.equal(elf.offsetOf(btf.addr), btf.offset);
    assert.equal(elf.offsetOf(btf.addr + 10n), btf.offset + 10);
    assert.ok(elf.section('.rodata') && elf.section('.text'));
  });

  it('maps no address inside NOBITS sections and none outside the image', () => {
    const bss = elf.sections.find((s) => s.name === '.bss');
    assert.ok(bss && bss.type === SHT_NOBITS);
    assert.equal(elf.offsetOf(bss.addr + 16n), undefined);
    assert.equal(elf.offsetOf(0x1000n), undefined);
  });

  it('has no .symtab: the image is stripped', () => {
    assert.deepEqual(elf.symbols(), []);
  });
});

describe('parseElf on bad input', () => {
  it('rejects random bytes, naming the file', () => {
    const junk = new Uint8Array(4096).map((_, i) => (i * 131 + 7) & 0xff);
    assert.throws(() => parseElf(junk, 'junk.bin'), (e) => isKernelDataError(e) && e.file === 'junk.bin' && /not an ELF/.test(e.message));
  });

  it('rejects a truncated vmlinux, naming the file', () => {
    const vm = debianVmlinux('debian-12');
    const cut = vm.bytes.subarray(0, 1 << 20);
    assert.throws(() => parseElf(cut, 'cut-vmlinux'), (e) => isKernelDataError(e) && e.file === 'cut-vmlinux' && /truncated/.test(e.message));
  });

  it('rejects a too-short file and a 32-bit header', () => {
    assert.throws(() => parseElf(new Uint8Array(10), 'tiny'), (e) => isKernelDataError(e) && /only 10 bytes/.test(e.message));
    const h = new Uint8Array(64);
    h.set([0x7f, 0x45, 0x4c, 0x46, 1, 1]);
    assert.throws(() => parseElf(h, 'elf32'), (e) => isKernelDataError(e) && /64-bit/.test(e.message));
  });
});
