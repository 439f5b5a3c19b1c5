// The running kernel read once per boot and module set (atlas/liveCache.ts): the Atlas writes the
// live kernel it read to the cache folder under a key of everything the facts depend on, and a
// later Atlas answers from that file with the same facts; a changed kernel (release, BTF, modules,
// what the user can read) gets another file; a damaged file is read afresh; `index --live` copies
// the cached atlas instead of reading the kernel again; readers and writers of several processes
// never fail on each other's files. On this machine's real /sys and /proc, or on sysRoots made of
// its real files.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Atlas } from '../../../server/src/atlas/atlas';
import { AtlasFile } from '../../../server/src/atlas/format';
import { KernelIndex } from '../../../server/src/atlas/kernelIndex';
import { liveCacheFile, writeLiveCache } from '../../../server/src/atlas/liveCache';
import { dataDir } from '../../../server/src/dataDir';
import type { KernelQuery } from '../../../server/src/model/facts';
import { run as index } from '../../../server/src/cli/index';
import { writeKernelAtlas } from '../../../server/src/atlas/kernelAtlas';

const LIVE_BTF = '/sys/kernel/btf/vmlinux';
const btfSkip = fs.existsSync(LIVE_BTF) ? false : `${LIVE_BTF} is not readable here`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-live-cache-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A sysRoot of this machine's real files, with its own osrelease. */
function sysRoot(name: string, release: string): string {
  const root = path.join(tmp, name);
  for (const rel of ['sys/kernel/btf/vmlinux', 'proc/kallsyms', 'proc/config.gz', 'proc/cmdline']) {
    if (!fs.existsSync(path.join('/', rel))) continue;
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.symlinkSync(path.join('/', rel), path.join(root, rel));
  }
  fs.mkdirSync(path.join(root, 'proc/sys/kernel'), { recursive: true });
  fs.writeFileSync(path.join(root, 'proc/sys/kernel/osrelease'), `${release}\n`);
  return root;
}

describe('the cached live atlas', { skip: btfSkip }, () => {
  it('is written once read, and answers as the kernel did', async () => {
    const cacheDir = path.join(tmp, 'cache-a');
    const root = sysRoot('root-a', '6.18.0-cache-a');
    const first = new Atlas({ sysRoot: root, liveCacheDir: cacheDir });
    const fresh = await first.loadLive();
    assert.ok(fresh && !(fresh instanceof KernelIndex), 'read from the kernel');
    const file = first.saveLiveCache();
    assert.equal(file, liveCacheFile(cacheDir, root, dataDir()));
    assert.ok(file && fs.existsSync(file));
    assert.equal(first.saveLiveCache(), undefined, 'written once');

    const second = new Atlas({ sysRoot: root, liveCacheDir: cacheDir });
    const cached = second.get('live');
    assert.ok(cached instanceof KernelIndex, 'answered from the cache');
    assert.equal(second.saveLiveCache(), undefined, 'nothing to write');
    for (const fn of ['vfs_read', 'do_sys_openat2', 'schedule', 'finish_task_switch']) assert.deepEqual(cached.fn(fn), fresh.fn(fn), fn);
    for (const tp of ['sched_switch', 'sys_enter_openat', 'block_rq_issue']) assert.deepEqual(cached.tracepoint(tp), fresh.tracepoint(tp), tp);
    assert.deepEqual(cached.meta.capabilities, fresh.meta.capabilities);
    assert.deepEqual(cached.meta.counts, fresh.meta.counts);
    assert.equal(cached.meta.id, 'live');
    assert.equal(cached.meta.source, 'live');
  });

  it('has another key when the kernel changes, and replaces the old file', () => {
    const cacheDir = path.join(tmp, 'cache-b');
    const a = sysRoot('root-b1', '6.18.0-cache-b1');
    const b = sysRoot('root-b2', '6.18.0-cache-b2');
    assert.notEqual(liveCacheFile(cacheDir, a, dataDir()), liveCacheFile(cacheDir, b, dataDir()));
    // A module loaded since: /proc/modules changes the key too.
    const before = liveCacheFile(cacheDir, a, dataDir());
    fs.writeFileSync(path.join(a, 'proc/modules'), 'demo_mod 16384 0 - Live 0x0000000000000000\n');
    assert.notEqual(liveCacheFile(cacheDir, a, dataDir()), before);
    const one = new Atlas({ sysRoot: a, liveCacheDir: cacheDir });
    one.get('live');
    const fileA = one.saveLiveCache()!;
    const two = new Atlas({ sysRoot: b, liveCacheDir: cacheDir });
    two.get('live');
    const fileB = two.saveLiveCache()!;
    assert.ok(fs.existsSync(fileB));
    assert.ok(!fs.existsSync(fileA), 'the previous kernel\'s file is removed');
  });

  it('is keyed on the bundled atlases\' content, not where they are or when they were copied', () => {
    // The extension's server and a CLI installed elsewhere carry the same atlases with other
    // mtimes: they must share one live cache, not evict each other's.
    const root = sysRoot('root-d', '6.18.0-cache-d');
    const copy = (name: string, mtime: Date) => {
      const dir = path.join(tmp, name);
      fs.mkdirSync(path.join(dir, 'atlas'), { recursive: true });
      for (const f of fs.readdirSync(path.join(dataDir(), 'atlas'))) {
        fs.copyFileSync(path.join(dataDir(), 'atlas', f), path.join(dir, 'atlas', f));
        fs.utimesSync(path.join(dir, 'atlas', f), mtime, mtime);
      }
      return dir;
    };
    const a = copy('data-d1', new Date(2001, 1, 1));
    const b = copy('data-d2', new Date(2021, 1, 1));
    const cacheDir = path.join(tmp, 'cache-d');
    assert.equal(liveCacheFile(cacheDir, root, a), liveCacheFile(cacheDir, root, b));
    assert.equal(liveCacheFile(cacheDir, root, a), liveCacheFile(cacheDir, root, dataDir()));
    // Other content (one byte of a header's section list) is another key.
    const f = path.join(b, 'atlas', fs.readdirSync(path.join(b, 'atlas'))[0]);
    const bytes = fs.readFileSync(f);
    bytes[100] ^= 1;
    fs.writeFileSync(f, bytes);
    assert.notEqual(liveCacheFile(cacheDir, root, a), liveCacheFile(cacheDir, root, b));
  });

  it('a damaged file is read afresh from the kernel', () => {
    const cacheDir = path.join(tmp, 'cache-c');
    const root = sysRoot('root-c', '6.18.0-cache-c');
    const file = liveCacheFile(cacheDir, root, dataDir());
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(file, 'BPFATLAS but not really');
    const atlas = new Atlas({ sysRoot: root, liveCacheDir: cacheDir });
    const k = atlas.get('live');
    assert.ok(!(k instanceof KernelIndex));
    assert.ok(k.fn('vfs_read'));
    assert.equal(atlas.saveLiveCache(), file);
    assert.ok(AtlasFile.open(file).kernels()[0].id === 'live');
  });

  it('index --live writes the cached atlas under the new id', async () => {
    const cacheHome = path.join(tmp, 'xdg');
    const saved = { xdg: process.env.XDG_CACHE_HOME, cache: process.env.BPF_ATLAS_CACHE };
    process.env.XDG_CACHE_HOME = cacheHome;
    delete process.env.BPF_ATLAS_CACHE;
    try {
      const out: string[] = [];
      const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: () => undefined } };
      const x = path.join(tmp, 'x.atlas');
      const y = path.join(tmp, 'y.atlas');
      assert.equal(await index(['--live', '-o', x], io), 0, out.join(''));
      const cached = fs.readdirSync(path.join(cacheHome, 'bpf-atlas')).filter((n) => n.startsWith('live-'));
      assert.equal(cached.length, 1, 'the first run wrote the cache');
      assert.equal(await index(['--live', '-o', y, '--id', 'host-y'], io), 0, out.join(''));
      const [mx, my] = [AtlasFile.open(x).kernels()[0], AtlasFile.open(y).kernels()[0]];
      assert.deepEqual([mx.id, my.id, mx.source, my.source], ['x', 'host-y', 'file', 'file']);
      assert.deepEqual(my.counts, mx.counts);
      assert.deepEqual(AtlasFile.open(y).loadFacts('host-y').functions.slice(0, 50), AtlasFile.open(x).loadFacts('x').functions.slice(0, 50));
    } finally {
      if (saved.xdg === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved.xdg;
      if (saved.cache !== undefined) process.env.BPF_ATLAS_CACHE = saved.cache;
    }
  });
});

/** Some answers of a kernel that read lazily from an atlas file: functions (name table and
 *  records), tracepoints, syscalls, LSM hooks, counts. */
function answers(k: KernelQuery) {
  return {
    fn: ['vfs_read', 'do_sys_openat2', 'schedule', 'finish_task_switch'].map((n) => k.fn(n)),
    tp: ['sched_switch', 'sys_enter_openat', 'block_rq_issue'].map((n) => k.tracepoint(n)),
    sc: k.syscall('openat'),
    lsm: k.lsmHook('file_open'),
    counts: k.meta.counts,
  };
}

describe('the cached live atlas under concurrent processes', { skip: btfSkip }, () => {
  // Every interleaving that matters, taken one step at a time: a reader has opened the cached
  // file (header read, sections not yet), then another process removes it (it wrote the cache of
  // another kernel, or another user's view) or renames another file over it; the reader then
  // reads its sections. Before AtlasFile kept its descriptor this failed with "no such atlas
  // file" or a checksum mismatch.
  const cacheDir = path.join(tmp, 'cache-race');
  const rootA = sysRoot('root-race-a', '6.18.0-race-a');
  const rootB = sysRoot('root-race-b', '6.18.0-race-b-with-a-longer-release');
  let fresh: ReturnType<typeof answers>;
  let fileA: string;
  let bytesB: Buffer;

  it('a reader keeps its file when another process removes it', () => {
    const writer = new Atlas({ sysRoot: rootA, liveCacheDir: cacheDir });
    fresh = answers(writer.get('live'));
    fileA = writer.saveLiveCache()!;
    assert.ok(fileA);
    const reader = new Atlas({ sysRoot: rootA, liveCacheDir: cacheDir });
    const cached = reader.get('live');
    assert.ok(cached instanceof KernelIndex, 'answered from the cache');
    // Another kernel's cache written: the folder's other live atlases (fileA) are removed.
    const other = new Atlas({ sysRoot: rootB, liveCacheDir: cacheDir });
    writeLiveCache(liveCacheFile(cacheDir, rootB, dataDir()), cached);
    assert.ok(!fs.existsSync(fileA), 'removed under the reader');
    // Another atlas of the same kernel with another header (its sections at other offsets).
    const elsewhere = path.join(tmp, 'race-b.atlas');
    writeKernelAtlas(elsewhere, cached, { generator: 'another writer', meta: { release: rootB } });
    bytesB = fs.readFileSync(elsewhere);
    assert.deepEqual(answers(cached), fresh);
    assert.ok(other.get('live') instanceof KernelIndex, 'the other kernel is answered from its file');
  });

  it('a reader keeps its file when another file is renamed over it', () => {
    writeLiveCache(fileA, new Atlas({ sysRoot: rootB, liveCacheDir: cacheDir }).get('live'));
    const reader = new Atlas({ sysRoot: rootA, liveCacheDir: cacheDir });
    const cached = reader.get('live');
    assert.ok(cached instanceof KernelIndex);
    // A different file (another header length, so other section offsets) renamed over the path.
    const bytes = fs.readFileSync(fileA);
    assert.notDeepEqual(bytesB.subarray(0, 64), bytes.subarray(0, 64));
    fs.writeFileSync(`${fileA}.next`, bytesB);
    fs.renameSync(`${fileA}.next`, fileA);
    assert.deepEqual(answers(cached), fresh);
  });

  it('a vanished, truncated or half-written cache is a miss, and a dead writer\'s leftovers go', () => {
    const root = sysRoot('root-race-c', '6.18.0-race-c');
    const file = liveCacheFile(cacheDir, root, dataDir());
    const whole = bytesB;
    // Truncated to its header and a piece of its sections: the header's section table runs past
    // the end, so the open is refused and the kernel read afresh.
    fs.writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    const atlas = new Atlas({ sysRoot: root, liveCacheDir: cacheDir });
    const k = atlas.get('live');
    assert.ok(!(k instanceof KernelIndex), 'read afresh');
    assert.deepEqual(answers(k), fresh);
    // A temporary file of a writer that died (no such process), and one of a running writer (our
    // parent process stands for it).
    const dead = `${file}.tmp-2147483646`;
    const alive = `${file}.tmp-${process.ppid}`;
    fs.writeFileSync(dead, whole.subarray(0, 100));
    fs.writeFileSync(alive, whole.subarray(0, 100));
    assert.equal(atlas.saveLiveCache(), file);
    assert.ok(!fs.existsSync(dead), 'a dead writer\'s temporary file is removed');
    assert.ok(fs.existsSync(alive), 'a running writer\'s temporary file is left to it');
    fs.rmSync(alive);
    // Removed between the key and the open: a miss too.
    fs.rmSync(file);
    const again = new Atlas({ sysRoot: root, liveCacheDir: cacheDir }).get('live');
    assert.ok(!(again instanceof KernelIndex));
  });

  it('two processes writing and reading the cache at once both answer right', async () => {
    // One process writes the caches of two kernels in turn (each write removes the other file);
    // the other reads from whichever is there, reading the kernel afresh (and writing it) on a
    // miss. Whatever the interleaving, each must finish with the kernel's answers.
    const dir = path.join(tmp, 'cache-two');
    const seed = new Atlas({ sysRoot: rootA, liveCacheDir: dir });
    seed.get('live');
    const seeded = seed.saveLiveCache()!;
    const source = path.join(tmp, 'two-source.atlas');
    fs.copyFileSync(seeded, source);
    const out = path.resolve(__dirname, '../../../server/src');
    const script = path.join(tmp, 'two.js');
    fs.writeFileSync(script, `
      const { Atlas } = require(${JSON.stringify(path.join(out, 'atlas/atlas'))});
      const { AtlasFile } = require(${JSON.stringify(path.join(out, 'atlas/format'))});
      const { KernelIndex } = require(${JSON.stringify(path.join(out, 'atlas/kernelIndex'))});
      const { liveCacheFile, writeLiveCache } = require(${JSON.stringify(path.join(out, 'atlas/liveCache'))});
      const { dataDir } = require(${JSON.stringify(path.join(out, 'dataDir'))});
      const [role, dir, a, b, source] = process.argv.slice(2);
      const answers = (k) => ({
        fn: ['vfs_read', 'do_sys_openat2', 'schedule', 'finish_task_switch'].map((n) => k.fn(n)),
        tp: ['sched_switch', 'sys_enter_openat', 'block_rq_issue'].map((n) => k.tracepoint(n)),
        sc: k.syscall && k.syscall('openat'), lsm: k.lsmHook && k.lsmHook('file_open'), counts: k.meta.counts,
      });
      const seen = [];
      if (role === 'writer') {
        const data = AtlasFile.open(source).load('live');
        const kernel = new KernelIndex(data, data.meta);
        for (let i = 0; i < 12; i++) writeLiveCache(liveCacheFile(dir, i % 2 ? b : a, dataDir()), kernel);
      } else {
        for (let i = 0; i < 12; i++) {
          const atlas = new Atlas({ sysRoot: i % 2 ? b : a, liveCacheDir: dir });
          const k = atlas.get('live');
          seen.push({ cached: k instanceof KernelIndex, answers: answers(k) });
          atlas.saveLiveCache();
        }
      }
      process.stdout.write(JSON.stringify(seen));
    `);
    const runChild = (role: string) => new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [script, role, dir, rootA, rootB, source], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${role} failed: ${stderr || err.message}`));
        else resolve(stdout);
      });
    });
    const [, read] = await Promise.all([runChild('writer'), runChild('reader')]);
    const seen = JSON.parse(read) as { cached: boolean; answers: unknown }[];
    assert.equal(seen.length, 12);
    const expected = JSON.parse(JSON.stringify(fresh));
    for (const [i, s] of seen.entries()) assert.deepEqual(s.answers, expected, `read ${i} (${s.cached ? 'cached' : 'fresh'})`);
  });
});
