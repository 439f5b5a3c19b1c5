// The running kernel, read once per boot and module set: an atlas file of `live` in the user's
// cache folder, named by a key over everything its facts depend on, which the CLI and the server
// both reuse (one mechanism). The key is cheap to compute (a few small reads): the kernel release,
// the BTF's identity (size and checksums of its ends: a rebuilt kernel of the same release
// differs), the loaded modules (/proc/modules, /sys/kernel/btf), what this
// user can read (tracefs, kallsyms addresses, ftrace list, kprobe blacklist, configuration, LSM
// list and command line), the bundled atlases the facts fall back on, and the reader's version.
// A kernel that changes any of these gets a new file; the previous ones of the folder are removed
// when a new one is written. Writes are atomic (writeAtlasFile), so concurrent processes never
// see half a file, and a reader keeps the file it opened (AtlasFile holds its descriptor), so
// another process replacing or removing the file under it changes nothing for it; a missing or
// damaged file is a miss (Atlas reads the kernel afresh).

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { cacheDirUnlessOff, userCacheDir } from '../cacheDir';
import { LIVE_READER_VERSION } from '../kernel/liveIndex';
import { TEMP_SUFFIX } from './format';
import { writeKernelAtlas, type KernelSource } from './kernelAtlas';

export { userCacheDir };

/** The cache folder for the running kernel's atlas (cacheDir.ts), unless BPF_ATLAS_CACHE=off. */
export function liveCacheDir(): string | undefined {
  return cacheDirUnlessOff();
}

const PREFIX = 'live-';
/** The cached atlas's sections are compressed in pieces of this size: a lookup on the running
 *  kernel decompresses the pieces of the string table it reads, not all of it (2 MB here). */
const LIVE_PIECE_BYTES = 64 << 10;

/** The identity of a BTF file without reading all of it: its size and the CRC-32 of its first and
 *  last 256 KB (the header with the section sizes, the first types and the last strings). Two
 *  builds that agree on all of that are not told apart, which no two real builds do. */
function btfIdentity(file: string): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const piece = Math.min(size, 256 * 1024);
    // One buffer, not zeroed: each checksum covers the bytes the read returned.
    const buf = Buffer.allocUnsafe(piece);
    const head = zlib.crc32(buf.subarray(0, fs.readSync(fd, buf, 0, piece, 0)));
    const tail = zlib.crc32(buf.subarray(0, fs.readSync(fd, buf, 0, piece, size - piece)));
    return `${size} ${head} ${tail}`;
  } catch {
    return '-';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Two 53-bit hashes of the key text (cyrb53, seeds 1 and 2), 28 hex digits: the cache files' names
 *  need a digest that changes with any part, not a cryptographic one (nobody chooses the text
 *  to collide), and node:crypto costs a lookup ~3 ms to load. */
function keyHash(text: string): string {
  const one = (seed: number) => {
    let h1 = 0xdeadbeef ^ seed;
    let h2 = 0x41c6ce57 ^ seed;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
  };
  return `${one(1)}${one(2)}`;
}

/** Where the cached atlas of the running kernel (as this user sees it now) is, or would be. */
export function liveCacheFile(cacheDir: string, sysRoot: string, dataDir: string): string {
  const { release, hash } = liveKernelKey(sysRoot, dataDir);
  const safeRelease = release.replace(/[^A-Za-z0-9._+-]/g, '_').slice(0, 80) || 'unknown';
  return path.join(cacheDir, `${PREFIX}${safeRelease}-${hash}.atlas`);
}

/** The key over everything the running kernel's facts depend on, as this user sees it now: a new
 *  key means a kernel read afresh (the server's watcher polls it to notice module loads). */
export function liveKernelKey(sysRoot: string, dataDir: string): { release: string; hash: string } {
  const sys = (p: string) => path.join(sysRoot, p);
  const parts: string[] = [`reader ${LIVE_READER_VERSION}`];
  const text = (p: string) => {
    try {
      return fs.readFileSync(sys(p), 'utf8');
    } catch (e) {
      return `unreadable ${(e as NodeJS.ErrnoException).code ?? ''}`;
    }
  };
  const readable = (p: string) => {
    try {
      fs.accessSync(sys(p), fs.constants.R_OK);
      return 'r';
    } catch {
      return '-';
    }
  };
  const release = text('proc/sys/kernel/osrelease').trim();
  parts.push(`release ${release}`);
  parts.push(`btf ${btfIdentity(sys('sys/kernel/btf/vmlinux'))}`);
  try {
    parts.push(`btf modules ${fs.readdirSync(sys('sys/kernel/btf')).sort().join(',')}`);
  } catch {
    parts.push('btf modules -');
  }
  // name, size and state of each loaded module (not the use counts, which change all the time)
  parts.push(`modules ${text('proc/modules').split('\n').map((l) => l.split(' ').slice(0, 2).join(' ')).sort().join(',')}`);
  let kallsymsHead = '-';
  try {
    const fd = fs.openSync(sys('proc/kallsyms'), 'r');
    try {
      const head = Buffer.alloc(16);
      fs.readSync(fd, head, 0, 16, null);
      kallsymsHead = /^0+\s/.test(head.toString('latin1')) ? 'hidden' : 'shown';
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* unreadable: '-' */
  }
  parts.push(`kallsyms ${kallsymsHead}`);
  for (const p of ['sys/kernel/tracing/events', 'sys/kernel/debug/tracing/events']) {
    let listable = '-';
    try {
      fs.readdirSync(sys(p));
      listable = 'r';
    } catch {
      /* not listable */
    }
    parts.push(`${p} ${listable}`);
  }
  for (const p of ['sys/kernel/tracing/available_filter_functions', 'sys/kernel/debug/kprobes/blacklist', 'proc/config.gz', `boot/config-${release}`]) {
    parts.push(`${p} ${readable(p)}`);
  }
  parts.push(`lsm ${text('sys/kernel/security/lsm').trim()}`, `cmdline ${text('proc/cmdline').trim()}`);
  // The bundled atlases name trace systems and give syscall arguments when tracefs is closed.
  try {
    const atlasDir = path.join(dataDir, 'atlas');
    for (const n of fs.readdirSync(atlasDir).sort()) parts.push(`bundled ${n} ${atlasIdentity(path.join(atlasDir, n))}`);
  } catch {
    parts.push('bundled -');
  }
  return { release, hash: keyHash(parts.join('\n')) };
}

/** What a bundled atlas file is, by content: its size and the CRC-32 of its first 64 KiB (the
 *  header, which lists every section's CRC). Not its mtime: the extension's server and a CLI
 *  installed elsewhere carry the same atlases with different mtimes, and with mtimes in the key
 *  each evicted the other's live cache and re-read the kernel. */
function atlasIdentity(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.allocUnsafe(Math.min(size, 64 << 10));
    const got = fs.readSync(fd, head, 0, head.length, 0);
    return `${size} ${zlib.crc32(head.subarray(0, got)).toString(16)}`;
  } finally {
    fs.closeSync(fd);
  }
}

/** True when no process of this id runs (a writer that died mid-write left its temporary file). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Write the running kernel's facts to its cache file (atomically: a reader opens the previous
 *  file or this one, and keeps reading the one it opened when it is replaced or removed, see
 *  AtlasFile) and remove the folder's other cached live atlases and the temporary files of
 *  writers that died. Returns the file, or throws the write's error. */
export function writeLiveCache(file: string, kernel: KernelSource): string {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeKernelAtlas(file, kernel, { quality: 5, pieceBytes: LIVE_PIECE_BYTES, generator: 'bpf-atlas live cache' });
  for (const n of fs.readdirSync(dir)) {
    if (!n.startsWith(PREFIX)) continue;
    const temp = n.lastIndexOf(TEMP_SUFFIX);
    const stale = temp > 0 ? n.slice(0, temp).endsWith('.atlas') && gone(Number(n.slice(temp + TEMP_SUFFIX.length)))
      : n.endsWith('.atlas') && path.join(dir, n) !== file;
    if (!stale) continue;
    try {
      fs.rmSync(path.join(dir, n), { force: true });
    } catch {
      /* another process may have removed it */
    }
  }
  return file;
}
