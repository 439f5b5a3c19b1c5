// The running kernel read once per boot and module set (atlas/liveCache.ts): the Atlas writes the
// live kernel it read to the cache folder under a key of everything the facts depend on, and a
// later Atlas answers from that file with the same facts; a changed kernel (release, BTF, modules,
// what the user can read) gets another file; a damaged file is read afresh; `index --live` copies
// the cached atlas instead of reading the kernel again. On this machine's real /sys and /proc, or
// on sysRoots made of its real files.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Atlas } from '../../../server/src/atlas/atlas';
import { AtlasFile } from '../../../server/src/atlas/format';
import { KernelIndex } from '../../../server/src/atlas/kernelIndex';
import { liveCacheFile } from '../../../server/src/atlas/liveCache';
import { dataDir } from '../../../server/src/dataDir';
import { run as index } from '../../../server/src/cli/index';

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
