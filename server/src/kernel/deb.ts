// Debian kernel packages (.deb) as kernel inputs: unpack the members we need with the system
// `dpkg-deb --fsys-tarfile | tar` (offline generation only: scripts/debian and `index --deb`), and
// find the kernel image and modules inside the unpacked tree. Layouts: `/boot/vmlinuz-<release>`
// and `/lib/modules/<release>/kernel` up to Debian 13; since 7.x Debian splits the kernel into
// linux-binary (`/usr/lib/modules/<release>/vmlinuz.unsigned`) and linux-modules packages.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { extractVmlinux } from './bzimage';
import { KernelDataError } from './errors';

/** Unpacks the members of a .deb matching the tar wildcards into `dest`. */
export function unpackDeb(deb: string, dest: string, wildcards: string[]): void {
  if (!fs.existsSync(deb)) throw new KernelDataError(deb, 'package file not found (run scripts/debian/fetch.sh)');
  fs.mkdirSync(dest, { recursive: true });
  const script = 'set -o pipefail; dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards "${@:3}"';
  const r = spawnSync('bash', ['-c', script, 'bash', deb, dest, ...wildcards], { encoding: 'utf8' });
  if (r.error) throw new KernelDataError(deb, `cannot run dpkg-deb/tar: ${r.error.message}`);
  if (r.status !== 0) throw new KernelDataError(deb, `dpkg-deb/tar failed: ${r.stderr.trim().slice(0, 300)}`);
}

/** The release directories under lib/modules or usr/lib/modules of an unpacked tree. */
function moduleRoots(tree: string): string[] {
  const out: string[] = [];
  for (const base of ['lib/modules', 'usr/lib/modules']) {
    const d = path.join(tree, base);
    if (!fs.existsSync(d)) continue;
    for (const rel of fs.readdirSync(d)) out.push(path.join(d, rel));
  }
  return out;
}

/** The vmlinuz of an unpacked kernel package tree. */
export function findKernelImage(tree: string): string {
  const boot = path.join(tree, 'boot');
  if (fs.existsSync(boot)) {
    const z = fs.readdirSync(boot).find((f) => f.startsWith('vmlinuz-'));
    if (z) return path.join(boot, z);
  }
  for (const root of moduleRoots(tree)) {
    for (const f of ['vmlinuz.unsigned', 'vmlinuz']) if (fs.existsSync(path.join(root, f))) return path.join(root, f);
  }
  throw new KernelDataError(tree, 'no boot/vmlinuz-* or usr/lib/modules/*/vmlinuz in the unpacked package');
}

/** The `kernel/` module directory of an unpacked tree, if modules were unpacked. */
export function findModuleDir(tree: string): string | undefined {
  for (const root of moduleRoots(tree)) {
    const k = path.join(root, 'kernel');
    if (fs.existsSync(k)) return k;
  }
  return undefined;
}

/**
 * The vmlinux inside a kernel package, decompressed once and cached at `cacheFile` (written
 * atomically, so concurrent callers never see half a file). `member` is the tar wildcard of the
 * vmlinuz (`./boot/vmlinuz-*`, or `./usr/lib/modules/*\/vmlinuz.unsigned` on 7.x).
 */
export function vmlinuxFromDeb(deb: string, member: string, cacheFile: string): { bytes: Uint8Array; file: string } {
  if (fs.existsSync(cacheFile)) return { bytes: fs.readFileSync(cacheFile), file: cacheFile };
  const tree = `${cacheFile}.unpack-${process.pid}`;
  try {
    unpackDeb(deb, tree, [member]);
    const image = findKernelImage(tree);
    const bytes = extractVmlinux(fs.readFileSync(image), image);
    const tmp = `${cacheFile}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, cacheFile);
    return { bytes, file: cacheFile };
  } finally {
    fs.rmSync(tree, { recursive: true, force: true });
  }
}
