// The kernel sources behind program-types.json and kfuncs.json: Debian's linux-source packages of
// exactly the kernels the Debian atlas bundles (5.10, 6.1, 6.12, 7.2), each with the .config Debian
// built that kernel with (from the image package, or linux-base for 7.x, which moved it there).
//
// Packages are looked up in the source cache ($BPF_ATLAS_SRC_DIR, default <repo>/.cache/src), and the
// image packages also in $BPF_ATLAS_DEB_DIR (scripts/debian/fetch.sh puts them there); with `fetch`
// the missing ones are downloaded (scripts/knowledge/apt.ts). A source tree is unpacked once into
// <cache>/linux-source-<X.Y>-<debversion>/ and reused; nothing here is needed at run time.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DEBIAN_KERNELS, type DebianKernel } from '../debian/kernels';
import { type AptPackage, aptDownload, aptFileName, repoRoot } from './apt';

export interface LinuxSource {
  /** Upstream major.minor: `6.1`. */
  version: string;
  /** The Debian atlas kernel built from this source: `debian-12`. */
  kernelId: string;
  /** linux-source-X.Y at the atlas kernel's Debian version. */
  source: AptPackage;
  /** The package that carries that kernel's .config, and the config's path inside it. */
  config: AptPackage & { member: string };
}

function sourceFor(k: DebianKernel): LinuxSource {
  const source = { name: `linux-source-${k.version}`, version: k.debVersion, suite: k.suite, arch: 'all' };
  // 7.x ships the image without the config; linux-base-<release> carries it.
  const config = k.imageMember.startsWith('./boot/')
    ? { name: k.imagePackages[0], version: k.debVersion, suite: k.suite, arch: 'amd64', member: `./boot/config-${k.release}` }
    : { name: `linux-base-${k.release}`, version: k.debVersion, suite: k.suite, arch: 'amd64', member: `./usr/lib/modules/${k.release}/config` };
  return { version: k.version, kernelId: k.id, source, config };
}

/** Oldest first. */
export const LINUX_SOURCES: readonly LinuxSource[] = DEBIAN_KERNELS.map(sourceFor);

export function defaultSourceDir(root = repoRoot()): string {
  return process.env.BPF_ATLAS_SRC_DIR || path.join(root, '.cache', 'src');
}

function debDirs(srcDir: string, root: string): string[] {
  return [srcDir, process.env.BPF_ATLAS_DEB_DIR || path.join(root, '.cache', 'debs')];
}

function findDeb(pkg: AptPackage, dirs: string[]): string | undefined {
  return dirs.map((d) => path.join(d, aptFileName(pkg))).find((p) => fs.existsSync(p));
}

/** Packages that are neither in the source cache nor in the deb folder. */
export function missingPackages(srcDir: string, root = repoRoot()): AptPackage[] {
  const dirs = debDirs(srcDir, root);
  return LINUX_SOURCES.flatMap((s) => [s.source, s.config]).filter((p) => !findDeb(p, dirs));
}

export function fetchPackages(srcDir: string, root = repoRoot()): void {
  aptDownload(missingPackages(srcDir, root), srcDir, path.join(root, '.cache', 'apt'));
}

/** The unpacked tree of a source (unpacking it on first use). */
export function sourceTree(src: LinuxSource, srcDir: string, root = repoRoot()): string {
  const dest = path.join(srcDir, `${src.source.name}-${src.source.version}`);
  if (fs.existsSync(path.join(dest, '.done'))) return dest;
  const deb = findDeb(src.source, debDirs(srcDir, root));
  if (!deb) throw new Error(`${aptFileName(src.source)} is missing in ${srcDir} (run with --fetch)`);
  fs.mkdirSync(dest, { recursive: true });
  // dpkg-deb | tar -O the inner tarball | xz -d | tar -x, without a temporary copy of the 1 GB tree.
  execFileSync('sh', ['-c',
    'dpkg-deb --fsys-tarfile "$1" | tar -xO "./usr/src/$2.tar.xz" | xz -dc | tar -x -C "$3" --strip-components=1',
    'unpack', deb, src.source.name, dest], { stdio: 'inherit' });
  fs.writeFileSync(path.join(dest, '.done'), '');
  return dest;
}

/** The kernel .config Debian built the source's atlas kernel with. */
export function kernelConfig(src: LinuxSource, srcDir: string, root = repoRoot()): Map<string, string> {
  const deb = findDeb(src.config, debDirs(srcDir, root));
  if (!deb) throw new Error(`${aptFileName(src.config)} is missing (run with --fetch)`);
  const text = execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xO "$2"', 'config', deb, src.config.member],
    { encoding: 'utf8', maxBuffer: 64 << 20 });
  return parseKconfig(text);
}

/** `CONFIG_X=y` lines into a map; `# CONFIG_X is not set` lines are left out (unset = absent). */
export function parseKconfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (m) out.set(m[1], m[2].replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

/** One file of a source tree: from the unpacked tree when there is one, else streamed out of the
 *  package (the whole tarball is decompressed, about 15 s, but nothing is written). */
export function readSourceFile(src: LinuxSource, rel: string, srcDir: string, root = repoRoot()): string {
  const tree = path.join(srcDir, `${src.source.name}-${src.source.version}`);
  if (fs.existsSync(path.join(tree, '.done'))) return fs.readFileSync(path.join(tree, rel), 'utf8');
  const deb = findDeb(src.source, debDirs(srcDir, root));
  if (!deb) throw new Error(`${aptFileName(src.source)} is missing in ${srcDir} (run with --fetch)`);
  return execFileSync('sh', ['-c',
    'dpkg-deb --fsys-tarfile "$1" | tar -xO "./usr/src/$2.tar.xz" | xz -dc | tar -xO "$2/$3"',
    'read', deb, src.source.name, rel], { encoding: 'utf8', maxBuffer: 64 << 20 });
}
