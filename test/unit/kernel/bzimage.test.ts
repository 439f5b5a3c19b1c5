// bzImage payload location and decompression on real Debian vmlinuz files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { extractVmlinux, locatePayload } from '../../../server/src/kernel/bzimage';
import { findKernelImage, unpackDeb } from '../../../server/src/kernel/deb';
import { isKernelDataError } from '../../../server/src/kernel/errors';
import { debianImageDeb, debianKernel } from '../../../scripts/debian/testInputs';

function vmlinuz(id: string): { bytes: Buffer; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-bz-'));
  unpackDeb(debianImageDeb(id), dir, [debianKernel(id).imageMember]);
  const file = findKernelImage(dir);
  const bytes = fs.readFileSync(file);
  fs.rmSync(dir, { recursive: true, force: true });
  return { bytes, file: path.basename(file) };
}

describe('bzImage (debian-12 vmlinuz, xz)', () => {
  const z = vmlinuz('debian-12');

  it('locates the payload from the setup header', () => {
    const p = locatePayload(z.bytes, z.file);
    assert.equal(z.bytes.length, 8_245_760);
    assert.equal(p.compression, 'xz');
    assert.ok(p.protocol >= 0x20f);
    assert.equal(p.uncompressedSize, 65_906_612);
    assert.ok(p.offset > 512 && p.offset + p.length <= z.bytes.length);
  });

  it('decompresses to an ELF vmlinux of the announced size', () => {
    const vm = extractVmlinux(z.bytes, z.file);
    assert.equal(vm.length, 65_906_612);
    assert.deepEqual([...vm.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
  });

  it('reports a truncated image and a non-bzImage, naming the file', () => {
    assert.throws(() => extractVmlinux(z.bytes.subarray(0, 200_000), 'short-vmlinuz'),
      (e) => isKernelDataError(e) && e.file === 'short-vmlinuz' && /truncated bzImage/.test(e.message));
    assert.throws(() => locatePayload(Buffer.alloc(4096, 0x41), 'not-a-kernel'),
      (e) => isKernelDataError(e) && e.file === 'not-a-kernel' && /HdrS/.test(e.message));
  });

  it('reports a corrupt payload instead of crashing', () => {
    const bad = Buffer.from(z.bytes);
    const p = locatePayload(bad, 'x');
    bad.fill(0x55, p.offset + 64, p.offset + 4096);
    assert.throws(() => extractVmlinux(bad, 'corrupt-vmlinuz'), (e) => isKernelDataError(e) && e.file === 'corrupt-vmlinuz');
  });
});

describe('bzImage (debian-sid vmlinuz.unsigned, zstd)', () => {
  const z = vmlinuz('debian-sid');

  it('finds a zstd payload and decompresses it', () => {
    const p = locatePayload(z.bytes, z.file);
    assert.equal(p.compression, 'zstd');
    assert.equal(z.bytes.length, 14_545_408);
    const vm = extractVmlinux(z.bytes, z.file);
    assert.equal(vm.length, p.uncompressedSize);
    assert.equal(vm.length, 62_173_500);
    assert.deepEqual([...vm.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
  });
});
