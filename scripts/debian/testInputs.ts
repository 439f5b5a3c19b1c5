// Real-bytes inputs for the kernel reader tests: a Debian kernel package from $BPF_ATLAS_DEB_DIR
// (default <repo>/.cache/debs, filled by scripts/debian/fetch.sh), its vmlinux decompressed once
// and cached under .cache/test-vmlinux. A missing package is an error that says how to get it:
// the tests must fail, not pass silently, on a machine without the inputs.

import fs from 'node:fs';
import path from 'node:path';
import { unpackDeb, vmlinuxFromDeb } from '../../server/src/kernel/deb';
import { findModuleFiles } from '../../server/src/kernel/modules';
import { DEBIAN_KERNELS, DebianKernel, debFileName } from './kernels';

/** The repository root, from either the sources or the compiled out/ tree. */
export function repoRoot(): string {
  for (let d = __dirname; path.dirname(d) !== d; d = path.dirname(d)) {
    if (path.basename(d) !== 'out' && fs.existsSync(path.join(d, 'package.json'))) return d;
  }
  return process.cwd();
}

export function debianKernel(id: string): DebianKernel {
  const k = DEBIAN_KERNELS.find((x) => x.id === id);
  if (!k) throw new Error(`unknown Debian kernel ${id}`);
  return k;
}

/** Path of a kernel's image package; throws with the fetch instruction when it is missing. */
export function debianImageDeb(id: string): string {
  const k = debianKernel(id);
  const dir = process.env.BPF_ATLAS_DEB_DIR ?? path.join(repoRoot(), '.cache', 'debs');
  const deb = path.join(dir, debFileName(k.imagePackages[0], k.debVersion));
  if (!fs.existsSync(deb)) {
    throw new Error(`${deb} is missing: run scripts/debian/fetch.sh (or set BPF_ATLAS_DEB_DIR to a folder with the Debian kernel packages)`);
  }
  return deb;
}

/** The decompressed vmlinux of a Debian kernel (cached under .cache/test-vmlinux). */
export function debianVmlinux(id: string): { bytes: Uint8Array; file: string } {
  const k = debianKernel(id);
  const deb = debianImageDeb(id);
  const cacheDir = path.join(repoRoot(), '.cache', 'test-vmlinux');
  fs.mkdirSync(cacheDir, { recursive: true });
  return vmlinuxFromDeb(deb, k.imageMember, path.join(cacheDir, `${id}.vmlinux`));
}

/** A committed oracle file (test/fixtures/oracle). */
export function oracle<T>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(repoRoot(), 'test', 'fixtures', 'oracle', name), 'utf8')) as T;
}

/** One module file of a kernel's image package (tar wildcard, e.g. `*\/fs/ext4/ext4.ko`), cached. */
export function debianModule(id: string, member: string, cacheName: string): string {
  const deb = debianImageDeb(id);
  const cacheDir = path.join(repoRoot(), '.cache', 'test-vmlinux', id);
  fs.mkdirSync(cacheDir, { recursive: true });
  const cached = path.join(cacheDir, cacheName);
  if (fs.existsSync(cached)) return cached;
  const tree = `${cached}.unpack-${process.pid}`;
  try {
    unpackDeb(deb, tree, [member]);
    const found = findModuleFiles(tree)[0];
    if (!found) throw new Error(`${member} not found in ${deb}`);
    fs.renameSync(found, cached);
    return cached;
  } finally {
    fs.rmSync(tree, { recursive: true, force: true });
  }
}
