// Test helper: the .BTF of Debian 6.1's vmlinux and of its ext4.ko, pulled out of the image
// package (found where the fetch scripts put Debian packages) and cached under .cache/test-kernel.
// A real split-BTF pair for the BTF and live-facts tests. The tiny bzImage and ELF section lookups
// here are deliberately independent of the readers under test.

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

function repoRoot(): string {
  let d = __dirname;
  while (!fs.existsSync(path.join(d, 'package.json')) || !fs.existsSync(path.join(d, 'test', 'fixtures'))) {
    const up = path.dirname(d);
    if (up === d) throw new Error('repository root not found from ' + __dirname);
    d = up;
  }
  return d;
}
const ROOT = repoRoot();

export interface SplitPair { base: Uint8Array; module: Uint8Array; baseFile: string; moduleFile: string }

/** Pull vmlinux .BTF and ext4.ko .BTF out of the Debian 6.1 image package (cached in .cache). */
export function debian61Ext4(): SplitPair | string {
  const cache = path.join(ROOT, '.cache', 'test-kernel', 'debian-6.1');
  const baseFile = path.join(cache, 'vmlinux.btf');
  const moduleFile = path.join(cache, 'ext4.btf');
  if (!fs.existsSync(baseFile) || !fs.existsSync(moduleFile)) {
    const deb = [process.env.BPF_ATLAS_DEBS, path.join(ROOT, '.cache', 'debs'), '/work/cache/debs']
      .filter((d): d is string => !!d && fs.existsSync(d))
      .flatMap((d) => fs.readdirSync(d).filter((f) => f.startsWith('linux-image-6.1.0-') && f.endsWith('-unsigned_6.1.192-2_amd64.deb')).map((f) => path.join(d, f)))[0];
    if (!deb) return 'the Debian 6.1 image package is not fetched (scripts/debian fetch)';
    fs.mkdirSync(cache, { recursive: true });
    const unpack = path.join(cache, `unpack-${process.pid}`);
    fs.mkdirSync(unpack, { recursive: true });
    const r = spawnSync('sh', ['-c', `dpkg-deb --fsys-tarfile "$0" | tar -x -C "$1" --wildcards './boot/vmlinuz-*' './lib/modules/*/kernel/fs/ext4/ext4.ko'`, deb, unpack]);
    if (r.status !== 0) return `cannot unpack ${deb}: ${r.stderr}`;
    const vmlinuz = path.join(unpack, 'boot', fs.readdirSync(path.join(unpack, 'boot'))[0]);
    const vmlinux = decompressBzImage(fs.readFileSync(vmlinuz));
    if (typeof vmlinux === 'string') return vmlinux;
    const modDir = path.join(unpack, 'lib', 'modules');
    const ko = path.join(modDir, fs.readdirSync(modDir)[0], 'kernel/fs/ext4/ext4.ko');
    // Written under temporary names and renamed, so a concurrent test never reads half a file.
    writeAtomic(moduleFile, elfSection(fs.readFileSync(ko), '.BTF'));
    writeAtomic(baseFile, elfSection(vmlinux, '.BTF'));
    fs.rmSync(unpack, { recursive: true, force: true });
  }
  return { base: fs.readFileSync(baseFile), module: fs.readFileSync(moduleFile), baseFile, moduleFile };
}

/** The bzImage payload (setup header at 0x1f1/0x248) piped through xz. */
function decompressBzImage(img: Uint8Array): Uint8Array | string {
  const v = new DataView(img.buffer, img.byteOffset, img.byteLength);
  const setup = img[0x1f1] || 4;
  const off = (setup + 1) * 512 + v.getUint32(0x248, true);
  const len = v.getUint32(0x24c, true);
  const r = spawnSync('xz', ['-dc', '--single-stream'], { input: img.subarray(off, off + len - 4), maxBuffer: 1 << 30 });
  if (r.error) return 'xz is not installed';
  return new Uint8Array(r.stdout);
}

/** A section's bytes from an ELF64 little-endian file, by name. */
function elfSection(elf: Uint8Array, name: string): Uint8Array {
  const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const shoff = Number(v.getBigUint64(0x28, true));
  const shentsize = v.getUint16(0x3a, true);
  const shnum = v.getUint16(0x3c, true);
  const shstrndx = v.getUint16(0x3e, true);
  const sh = (i: number) => shoff + i * shentsize;
  const strOff = Number(v.getBigUint64(sh(shstrndx) + 0x18, true));
  for (let i = 0; i < shnum; i++) {
    let e = strOff + v.getUint32(sh(i), true);
    const s = e;
    while (elf[e]) e++;
    if (Buffer.from(elf.subarray(s, e)).toString('latin1') === name) {
      const o = Number(v.getBigUint64(sh(i) + 0x18, true));
      return elf.subarray(o, o + Number(v.getBigUint64(sh(i) + 0x20, true)));
    }
  }
  throw new Error(`no ${name} section`);
}

function writeAtomic(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}
