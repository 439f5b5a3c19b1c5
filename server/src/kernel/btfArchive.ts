// Collections of BTF files a user already has: a folder of raw BTF files (copies of
// /sys/kernel/btf/vmlinux), or btfhub-archive's tree `<distro>/<version>/<arch>/<release>.btf.tar.xz`
// (RHEL, CentOS, Amazon Linux, Fedora, Oracle, SUSE, Ubuntu, Debian kernels without BTF of their
// own). It finds the files, names each kernel readably (`rhel-8.6-4.18.0-372`, unique within the
// collection), and unpacks an archive member to a file. Reading the BTF is liveIndex.ts openBtfFileKernel.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KernelDataError, describeFsError } from './errors';

/** One kernel's BTF in a collection. */
export interface BtfInput {
  /** The file: raw BTF, or a btfhub `.btf.tar.xz`. */
  file: string;
  /** Path relative to the folder it was found in (the file name for a file given directly). */
  relPath: string;
  archive: boolean;
  /** uname -r release, when the file name or layout gives it. */
  release?: string;
  /** btfhub layout: distro (`rhel`), its version (`8.6`), arch (`x86_64`). */
  distro?: string;
  distroVersion?: string;
  arch?: string;
  /** Readable, unique within one call of findBtfInputs. */
  id: string;
}

const BTF_MAGIC_LE = [0x9f, 0xeb];
const BTF_MAGIC_BE = [0xeb, 0x9f];

function isRawBtf(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const b = Buffer.alloc(2);
    if (fs.readSync(fd, b, 0, 2, 0) !== 2) return false;
    return (b[0] === BTF_MAGIC_LE[0] && b[1] === BTF_MAGIC_LE[1]) || (b[0] === BTF_MAGIC_BE[0] && b[1] === BTF_MAGIC_BE[1]);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

const ARCHIVE = /\.btf\.tar\.xz$/;
/** A release as kernel packages name them: `4.18.0-372.9.1.el8.x86_64`, `5.4.0-100-generic`. */
const RELEASE = /^\d+\.\d+(\.\d+)?([-.+~_][A-Za-z0-9.+~_-]*)?$/;

/** `4.18.0-372.9.1.el8.x86_64` → `4.18.0-372`; `5.15.0-1019-aws` → `5.15.0-1019`. */
export function shortRelease(release: string): string {
  const m = /^(\d+\.\d+\.\d+-\d+)/.exec(release);
  return m ? m[1] : release.replace(/\.(x86_64|aarch64|amd64|arm64|s390x|ppc64le)$/, '');
}

/** The fields btfhub's layout gives a file at `relPath` (forward slashes). */
function describe(file: string, relPath: string, archive: boolean): Omit<BtfInput, 'id'> {
  const parts = relPath.split('/');
  const base = parts[parts.length - 1].replace(ARCHIVE, '').replace(/\.btf$/, '');
  const input: Omit<BtfInput, 'id'> = { file, relPath, archive };
  if (RELEASE.test(base)) input.release = base;
  if (parts.length >= 4 && input.release) {
    const [distro, version, arch] = parts.slice(-4, -1);
    input.distro = distro;
    input.distroVersion = version;
    input.arch = arch;
  }
  return input;
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._+-]+/g, '-').replace(/^-+|-+$/g, '') || 'btf';
}

/** Give every input a readable id: `<distro>-<version>-<short release>[-<arch>]` for btfhub
 *  files (arch only when not x86_64), the file name otherwise. Inputs that would share an id take
 *  their next, longer form (the full release, then the relative path), and numbers last. */
function assignIds(inputs: Omit<BtfInput, 'id'>[]): BtfInput[] {
  const forms = inputs.map((x) => {
    const whole = slug(x.relPath.replace(ARCHIVE, '').replace(/\.btf$/, '').replace(/\//g, '-'));
    if (x.distro && x.release) {
      const arch = x.arch && x.arch !== 'x86_64' ? `-${x.arch}` : '';
      const prefix = `${slug(x.distro)}-${slug(x.distroVersion!)}-`;
      return [`${prefix}${shortRelease(x.release)}${arch}`, `${prefix}${slug(x.release.replace(/\.(x86_64|aarch64)$/, ''))}${arch}`, whole];
    }
    const name = path.basename(x.relPath).replace(ARCHIVE, '').replace(/\.btf$/, '');
    return [slug(name), whole];
  });
  const level = inputs.map(() => 0);
  const ids = forms.map((f) => f[0]);
  for (;;) {
    const groups = new Map<string, number[]>();
    ids.forEach((id, i) => groups.set(id, [...(groups.get(id) ?? []), i]));
    const clashes = [...groups.values()].filter((g) => g.length > 1);
    if (!clashes.length) break;
    for (const g of clashes) {
      const movable = g.filter((i) => level[i] < forms[i].length - 1);
      if (movable.length) {
        for (const i of movable) ids[i] = forms[i][++level[i]];
      } else {
        g.slice(1).forEach((i, n) => { ids[i] = `${ids[i]}-${n + 2}`; });
      }
    }
  }
  return inputs.map((x, i) => ({ ...x, id: ids[i] }));
}

/** Every BTF input under the given files and folders (folders searched recursively; a folder
 *  contributes raw BTF files, recognised by their magic, and `*.btf.tar.xz` archives), in path
 *  order, with unique readable ids. Throws KernelDataError for a path that cannot be read. */
export function findBtfInputs(paths: readonly string[]): BtfInput[] {
  const found: Omit<BtfInput, 'id'>[] = [];
  const walk = (dir: string, root: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw new KernelDataError(dir, `cannot read the folder: ${describeFsError(e)}`);
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(dir, e.name);
      const rel = path.relative(root, p).split(path.sep).join('/');
      if (e.isDirectory()) walk(p, root);
      else if (e.isFile() && ARCHIVE.test(e.name)) found.push(describe(p, rel, true));
      else if (e.isFile() && isRawBtf(p)) found.push(describe(p, rel, false));
    }
  };
  for (const p of paths) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (e) {
      throw new KernelDataError(p, `cannot read: ${describeFsError(e)}`);
    }
    if (st.isDirectory()) walk(p, p);
    else found.push(describe(p, path.basename(p), ARCHIVE.test(p)));
  }
  return assignIds(found);
}

/** The BTF file of an input on disk: the file itself, or the `.btf` member of a btfhub archive
 *  unpacked (with tar and xz) into a temporary folder that `done()` removes. */
export function btfFileOf(input: BtfInput): { file: string; done(): void } {
  if (!input.archive) return { file: input.file, done: () => undefined };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-btf-'));
  const done = () => fs.rmSync(dir, { recursive: true, force: true });
  const r = spawnSync('tar', ['-xJf', input.file, '-C', dir], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    done();
    const why = r.error ? `${r.error.message} (tar and xz are needed for .btf.tar.xz files)` : (r.stderr || `tar exited with ${r.status}`).trim();
    throw new KernelDataError(input.file, `cannot unpack: ${why}`);
  }
  const files: string[] = [];
  const collect = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) collect(p);
      else if (e.isFile() && isRawBtf(p)) files.push(p);
    }
  };
  collect(dir);
  if (files.length !== 1) {
    done();
    throw new KernelDataError(input.file, files.length ? `holds ${files.length} BTF files, expected one` : 'holds no BTF file');
  }
  return { file: files[0], done };
}
