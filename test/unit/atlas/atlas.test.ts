// The Atlas over the bundled files: natural ids, release and codename resolution (preferring the
// generic amd64 image), clear errors for unknown and ambiguous names, user atlas files, the
// injectable live loader and the default targets.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Atlas, DEFAULT_BUNDLED_TARGETS } from '../../../server/src/atlas/atlas';
import { AtlasFile, writeAtlasFile } from '../../../server/src/atlas/format';
import type { KernelFacts } from '../../../server/src/atlas/model';
import { dataDir } from '../../../server/src/dataDir';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-atlas-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const hasDebian = fs.existsSync(path.join(dataDir(), 'atlas', 'debian.atlas'));

/** A real kernel (ubuntu-20.04 from the bundle) relabelled, as a user file would carry it. */
function userKernel(id: string, release: string): KernelFacts {
  const facts = AtlasFile.open(path.join(dataDir(), 'atlas', 'ubuntu.atlas')).loadFacts('ubuntu-20.04');
  return {
    ...facts,
    functions: facts.functions.slice(0, 500),
    meta: { ...facts.meta, id, release, version: release.split('.').slice(0, 2).join('.'), source: 'file', distro: undefined, codename: undefined, flavor: undefined },
  };
}

describe('Atlas', () => {
  const atlas = new Atlas({ live: false });

  it('lists the bundled kernels under natural ids', () => {
    const ids = atlas.list().map((m) => m.id);
    for (const id of ['ubuntu-16.04', 'ubuntu-18.04', 'ubuntu-20.04', 'ubuntu-22.04', 'ubuntu-24.04', 'ubuntu-20.04-arm64',
      'ubuntu-20.04-armhf', 'ubuntu-20.04-ppc64el', 'ubuntu-20.04-riscv64', 'ubuntu-20.04-aws', 'ubuntu-20.04-azure',
      'ubuntu-20.04-gcp', 'ubuntu-20.04-lowlatency']) assert.ok(ids.includes(id), id);
    assert.ok(!ids.includes('live'));
    assert.equal(atlas.list().find((m) => m.id === 'ubuntu-22.04')!.release, '5.15.0-25-generic');
  });

  it('resolves releases, preferring the generic amd64 image', () => {
    assert.equal(atlas.resolve('5.15'), 'ubuntu-22.04');
    assert.equal(atlas.resolve('5.4'), 'ubuntu-20.04');
    assert.equal(atlas.resolve('4.4'), 'ubuntu-16.04');
    assert.equal(atlas.resolve('6.8'), 'ubuntu-24.04');
    assert.equal(atlas.resolve('5.4.0-1009-aws'), 'ubuntu-20.04-aws');
    assert.equal(atlas.resolve('jammy'), 'ubuntu-22.04');
    assert.equal(atlas.resolve('focal'), 'ubuntu-20.04');
    assert.equal(atlas.resolve('ubuntu-20.04-arm64'), 'ubuntu-20.04-arm64');
    if (hasDebian) {
      assert.equal(atlas.resolve('6.1'), 'debian-12');
      assert.equal(atlas.resolve('bookworm'), 'debian-12');
    }
  });

  it('lists names by prefix without building the whole list', () => {
    const k = new Atlas({ live: false }).get('ubuntu-22.04');
    const some = k.functionNamesWithPrefix('vfs_rea', 10);
    assert.ok(some.includes('vfs_read'));
    assert.ok(some.every((n) => n.startsWith('vfs_rea')));
    assert.deepEqual(some, k.functionNames().filter((n) => n.startsWith('vfs_rea')).slice(0, 10));
    assert.equal(k.functionNamesWithPrefix('vfs_', 3).length, 3);
    assert.deepEqual(k.functionNamesWithPrefix('zzzz_no_such_prefix', 5), []);
  });

  it('preloads kernels in the background with the same result as a direct load', async () => {
    const a = new Atlas({ live: false });
    await a.preload(['ubuntu-22.04', 'ubuntu-24.04', 'no-such-kernel']);
    const b = new Atlas({ live: false });
    for (const id of ['ubuntu-22.04', 'ubuntu-24.04']) {
      assert.deepEqual(a.get(id).functionNames(), b.get(id).functionNames());
      assert.deepEqual(a.get(id).fn('finish_task_switch'), b.get(id).fn('finish_task_switch'));
    }
  });

  it('explains unknown and ambiguous names', () => {
    assert.throws(() => atlas.resolve('9.99'), /unknown kernel "9\.99": known kernels are .*ubuntu-22\.04/);
    assert.throws(() => atlas.resolve(''), /empty kernel name/);
    const a = path.join(tmp, 'host-a.atlas');
    const b = path.join(tmp, 'host-b.atlas');
    writeAtlasFile(a, [userKernel('host-a', '9.8.1-custom')], { quality: 1 });
    writeAtlasFile(b, [userKernel('host-b', '9.8.2-custom')], { quality: 1 });
    const withFiles = new Atlas({ live: false, files: [a, b] });
    assert.throws(() => withFiles.resolve('9.8'), /kernel "9\.8" is ambiguous: it matches host-a \(9\.8\.1-custom.*host-b \(9\.8\.2-custom/);
    assert.equal(withFiles.resolve('9.8.1-custom'), 'host-a');
  });

  it('takes atlas files by path, and keeps a clashing id apart', () => {
    const file = path.join(tmp, 'prod.atlas');
    writeAtlasFile(file, [userKernel('ubuntu-22.04', '5.15.0-99-generic')], { quality: 1 });
    const a = new Atlas({ live: false });
    const id = a.resolve(file);
    assert.equal(id, path.resolve(file));
    assert.equal(a.get(id).meta.source, 'file');
    assert.equal(a.get('ubuntu-22.04').meta.source, 'bundled');
    assert.equal(a.get(id).fn(a.get(id).functionNames()[0])!.name, a.get(id).functionNames()[0]);
    assert.throws(() => a.resolve(path.join(tmp, 'missing.atlas')), /missing\.atlas: no such atlas file/);
  });

  it('never lets a file take the id of the running kernel', async () => {
    const file = path.join(tmp, 'live.atlas');
    writeAtlasFile(file, [userKernel('live', '9.8.1-custom')], { quality: 1 });
    const a = new Atlas({ live: false });
    const id = a.resolve(file);
    assert.equal(id, path.resolve(file));
    assert.equal(await a.loadLive(), undefined);
    assert.equal(a.get(id).meta.source, 'file');
  });

  it('serves an injected live kernel and makes it the default target', async () => {
    const sysRoot = path.join(tmp, 'root');
    fs.mkdirSync(path.join(sysRoot, 'sys/kernel/btf'), { recursive: true });
    fs.mkdirSync(path.join(sysRoot, 'proc/sys/kernel'), { recursive: true });
    fs.writeFileSync(path.join(sysRoot, 'sys/kernel/btf/vmlinux'), '');
    fs.writeFileSync(path.join(sysRoot, 'proc/sys/kernel/osrelease'), '9.8.1-custom\n');
    let reads = 0;
    const facts = userKernel('anything', '9.8.1-custom');
    const a = new Atlas({ sysRoot, live: () => { reads++; return facts; } });
    assert.ok(a.hasLive());
    assert.deepEqual(a.defaultTargets(), ['live']);
    assert.equal(a.list().find((m) => m.id === 'live')!.release, '9.8.1-custom');
    assert.equal(reads, 0, 'listing must not read the kernel');
    const k = await a.loadLive();
    assert.equal(k!.meta.id, 'live');
    assert.equal(a.get('live').functionNames().length, 500);
    assert.equal(reads, 1);
  });

  it('says when an async live reader has not finished', () => {
    const a = new Atlas({ live: async () => userKernel('x', '9.8.1') });
    assert.throws(() => a.get('live'), /still being read/);
  });

  it('defaults to the newest bundled LTS kernels without a readable live kernel', () => {
    const targets = atlas.defaultTargets();
    assert.ok(targets.length > 0);
    for (const t of targets) assert.ok(DEFAULT_BUNDLED_TARGETS.includes(t));
    assert.ok(targets.includes('ubuntu-24.04'));
  });

  it('names trace systems from the bundles without loading a kernel', () => {
    const systems = atlas.bundledSystems();
    assert.equal(systems.get('sched_switch'), 'sched');
    assert.equal(systems.get('block_rq_issue'), 'block');
  });
});

describe('Ubuntu ids (scripts/ubuntu/build.ts)', () => {
  const atlasForCounts = new Atlas({ live: false });

  it('names DepSurf images naturally', async () => {
    const { ubuntuId } = await import('../../../scripts/ubuntu/build');
    assert.equal(ubuntuId({ ubuntu: '22.04', arch: 'amd64', flavor: 'generic', group: 'Regular' }), 'ubuntu-22.04');
    assert.equal(ubuntuId({ ubuntu: '20.04', arch: 'arm64', flavor: 'generic', group: 'Arch' }), 'ubuntu-20.04-arm64');
    assert.equal(ubuntuId({ ubuntu: '20.04', arch: 'amd64', flavor: 'aws', group: 'Flavor' }), 'ubuntu-20.04-aws');
  });

  it('the bundle carries the documented counts of the DepSurf images', () => {
    const counts = (id: string) => atlasForCounts.list().find((m) => m.id === id)!.counts;
    // Tracepoints: DepSurf's 502 trace events plus the syscalls:sys_enter_/sys_exit_ pair of each of
    // the 316 SYSCALL_DEFINE'd table entries (317 minus ni_syscall).
    assert.deepEqual(counts('ubuntu-16.04'), { functions: 41056, tracepoints: 502 + 2 * 316, syscalls: 317, lsmHooks: 168 });
    assert.equal(counts('ubuntu-24.04').functions, 68053);
    assert.equal(counts('ubuntu-24.04').tracepoints, 932 + 2 * 356);
    assert.equal(counts('ubuntu-20.04-riscv64').functions, 41868);
    const btf = (id: string) => atlasForCounts.list().find((m) => m.id === id)!.coverage.btf;
    assert.equal(btf('ubuntu-20.04'), false);
    assert.equal(btf('ubuntu-20.10'), true);
  });
});

