// Debian kernel packages (.deb) as kernel inputs: unpack the members we need (offline generation
// only: scripts/debian and `index --deb`), and find the kernel image and modules inside the
// unpacked tree. Layouts: `/boot/vmlinuz-<release>` and `/lib/modules/<release>/kernel` up to
// Debian 13; since 7.x Debian splits the kernel into linux-binary
// (`/usr/lib/modules/<release>/vmlinuz.unsigned`) and linux-modules packages.
//
// A package is input, possibly hostile: `index --deb` takes whatever .deb a user downloaded. So
// each package goes into a fresh directory of its own, its member list is read and checked before
// anything is written (absolute paths, `..`, and links that point out of the package are refused),
// and only the regular files asked for are written: no symbolic or hard link is ever created, so
// nothing can be written or read through one, and a vmlinuz that is a link (to /etc/shadow, say)
// is refused, not followed. dpkg-deb turns the package into a plain tar (it knows every data.tar
// compression); node-tar (isaacs/node-tar, npm's own, hardened against the path and link attacks
// GNU tar leaves to the caller) lists and extracts it. GNU tar was the extractor before: its
// verbose listing cannot be parsed without ambiguity (names holding " -> "), and a second
// extraction into the same tree writes through the first one's links.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { compileGlob } from '../model/glob';
import { extractVmlinux } from './bzimage';
import { KernelDataError } from './errors';

/** Entry types holding file data. */
const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

/** One member of a package's data archive, as its header gives it. */
interface Member {
  path: string;
  type: string;
  linkpath?: string;
}

/** What is wrong with a member's own path, or undefined: archive paths are relative and never
 *  climb (`./boot/x` and `boot/x` are fine; `/etc/x` and `./a/../../x` are not). */
function pathProblem(p: string): string | undefined {
  if (p.startsWith('/')) return 'has an absolute path';
  if (p.split('/').includes('..')) return 'has a `..` in its path';
  return undefined;
}

/** What is wrong with a link member, or undefined when it stays inside the package root. A
 *  symbolic link resolves against its own directory, a hard link against the root. */
function linkProblem(m: Member): string | undefined {
  const target = m.linkpath ?? '';
  const kind = m.type === 'SymbolicLink' ? 'a symbolic link' : 'a hard link';
  if (!target || target.startsWith('/')) return `is ${kind} to ${target || 'nothing'}, outside the package`;
  const from = m.type === 'SymbolicLink' ? path.posix.dirname(path.posix.normalize(m.path)) : '.';
  const resolved = path.posix.normalize(path.posix.join(from, target));
  if (resolved === '..' || resolved.startsWith('../')) return `is ${kind} to ${target}, outside the package`;
  return undefined;
}

/** Lists a tar's members, failing on a damaged archive or past `max` members. */
function listMembers(tarFile: string, deb: string, max: number): Member[] {
  const members: Member[] = [];
  try {
    tar.t({
      file: tarFile, sync: true, strict: true,
      onReadEntry: (e) => {
        if (members.length === max) throw new KernelDataError(deb, `more than ${max} members (real kernel packages have about 5,000): refusing the package`);
        members.push({ path: e.path, type: e.type, linkpath: e.linkpath });
      },
    });
  } catch (e) {
    if (e instanceof KernelDataError) throw e;
    throw new KernelDataError(deb, `damaged package data archive: ${(e as Error).message}`);
  }
  return members;
}

/** A fresh, empty directory for one package; refuses one that already holds something (another
 *  package's links could be in it). */
function freshDirectory(dest: string, deb: string): void {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  try {
    fs.mkdirSync(dest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new KernelDataError(deb, `cannot create ${dest}: ${(e as Error).message}`);
    const st = fs.lstatSync(dest);
    if (!st.isDirectory() || fs.readdirSync(dest).length) {
      throw new KernelDataError(deb, `${dest} is not a fresh empty directory: each package is unpacked into its own`);
    }
  }
}

/** A package's data archive unpacked: the biggest real one (linux-image-6.1) is 411 MB. Beyond
 *  this it is a decompression bomb filling the disk, and dpkg-deb is stopped (RLIMIT_FSIZE). */
export const MAX_DATA_TAR_BYTES = 4 * 2 ** 30;
/** Members of one package: real kernel packages have about 5,000. */
export const MAX_MEMBERS = 200_000;

/** Unpacks the regular-file members of a .deb whose names match the tar wildcards (`*` also
 *  matches `/`, as in GNU tar; none: every regular file) into `dest`, which must not exist yet or
 *  be empty. Refuses the whole package when a member has an absolute path or a `..`, when a link
 *  points out of it, or when a member asked for is not a regular file; writes nothing then. */
export function unpackDeb(deb: string, dest: string, wildcards: string[], limits: { maxDataTarBytes?: number; maxMembers?: number } = {}): void {
  if (!fs.existsSync(deb)) throw new KernelDataError(deb, 'package file not found (run scripts/debian/fetch.sh)');
  const maxTar = limits.maxDataTarBytes ?? MAX_DATA_TAR_BYTES;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-deb-'));
  try {
    const tarFile = path.join(work, 'data.tar');
    const fd = fs.openSync(tarFile, 'wx', 0o600);
    let r;
    try {
      // bash's ulimit -f counts 1024-byte blocks; past it the kernel stops the writer (SIGXFSZ).
      const script = 'ulimit -f "$1" && exec dpkg-deb --fsys-tarfile "$2"';
      r = spawnSync('bash', ['-c', script, 'bash', String(Math.ceil(maxTar / 1024)), deb], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    } finally {
      fs.closeSync(fd);
    }
    if (r.error) throw new KernelDataError(deb, `cannot run dpkg-deb: ${r.error.message}`);
    // dpkg-deb or its decompressor subprocess was stopped at the limit.
    if (r.status !== 0 && fs.statSync(tarFile).size >= Math.ceil(maxTar / 1024) * 1024) throw new KernelDataError(deb, `the package's data archive unpacks to more than ${maxTar} bytes (the largest real kernel package: 411 MB): refusing it`);
    if (r.status !== 0) throw new KernelDataError(deb, `dpkg-deb failed: ${r.stderr.trim().slice(0, 300) || `exit status ${r.status ?? r.signal}`}`);

    const patterns = wildcards.map((w) => compileGlob(w, 'libbpf'));
    const wanted = (p: string) => !patterns.length || patterns.some((re) => re.test(p));
    const take = new Set<string>();
    for (const m of listMembers(tarFile, deb, limits.maxMembers ?? MAX_MEMBERS)) {
      const problem = pathProblem(m.path) ?? (m.type === 'SymbolicLink' || m.type === 'Link' ? linkProblem(m) : undefined);
      if (problem) throw new KernelDataError(deb, `member ${m.path} ${problem}: refusing the package`);
      if (m.type === 'Directory' || !wanted(m.path)) continue;
      if (!FILE_TYPES.has(m.type)) {
        // Asked for (or, with no wildcards, any member) but not file data. Links inside the
        // package are not needed by any reader and are skipped; only a wanted one is an error.
        if (!patterns.length && (m.type === 'SymbolicLink' || m.type === 'Link')) continue;
        throw new KernelDataError(deb, `member ${m.path} is ${m.type === 'SymbolicLink' ? `a symbolic link to ${m.linkpath}` : m.type === 'Link' ? `a hard link to ${m.linkpath}` : `a ${m.type}`}, not a regular file: refusing to read it`);
      }
      if (take.has(m.path)) throw new KernelDataError(deb, `member ${m.path} appears twice: refusing the package`);
      take.add(m.path);
    }

    freshDirectory(dest, deb);
    try {
      tar.x({
        file: tarFile, sync: true, strict: true, cwd: dest, preserveOwner: false,
        filter: (p, e) => 'type' in e && FILE_TYPES.has(e.type) && take.has(p),
      });
    } catch (e) {
      throw new KernelDataError(deb, `cannot unpack: ${(e as Error).message}`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
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

/** The members of a kernel package a reader needs: the image and the modules, nothing else. */
export const KERNEL_MEMBERS = ['./boot/vmlinuz-*', './usr/lib/modules/*/vmlinuz*', './lib/modules/*/kernel/*.ko*', './usr/lib/modules/*/kernel/*.ko*'];

/** A regular file (not a link, not a device), checked without following a link. */
function isRegular(file: string): boolean {
  try {
    return fs.lstatSync(file).isFile();
  } catch {
    return false;
  }
}

/** The vmlinuz of unpacked kernel package trees (one per package), the first found; a regular
 *  file (unpackDeb writes no links, and a link is not taken even so). */
export function findKernelImage(...trees: string[]): string {
  for (const tree of trees) {
    const boot = path.join(tree, 'boot');
    if (fs.existsSync(boot)) {
      const z = fs.readdirSync(boot).find((f) => f.startsWith('vmlinuz-') && isRegular(path.join(boot, f)));
      if (z) return path.join(boot, z);
    }
    for (const root of moduleRoots(tree)) {
      for (const f of ['vmlinuz.unsigned', 'vmlinuz']) if (isRegular(path.join(root, f))) return path.join(root, f);
    }
  }
  throw new KernelDataError(trees.join(', '), 'no boot/vmlinuz-* or usr/lib/modules/*/vmlinuz in the unpacked package');
}

/** The `kernel/` module directory of unpacked trees (the first found), if modules were unpacked. */
export function findModuleDir(...trees: string[]): string | undefined {
  for (const tree of trees) {
    for (const root of moduleRoots(tree)) {
      const k = path.join(root, 'kernel');
      if (fs.existsSync(k)) return k;
    }
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
