// Hostile Debian packages (issue 13): `bpf-atlas index --deb` unpacks whatever .deb a user hands
// it. Crafted packages (written member by member, see test/craftDeb.ts) try path traversal,
// absolute paths, symbolic and hard links out of the extraction folder, links left by one package
// for the next to write through, and a vmlinuz that is a link to /etc/shadow. Each must be refused
// with a message naming the package and the member, and nothing may appear outside the
// extraction folder: every test unpacks inside a sandbox folder and compares its whole listing.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { run as indexRun } from '../../server/src/cli/index';
import { findKernelImage, KERNEL_MEMBERS, MAX_DATA_TAR_BYTES, MAX_MEMBERS, unpackDeb } from '../../server/src/kernel/deb';
import { isKernelDataError } from '../../server/src/kernel/errors';
import { type TarMember, writeDeb } from '../craftDeb';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-hostile-deb-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A sandbox: `world` holds everything the case may touch; `dest` (three levels down, so that
 *  `../../..` still lands inside the world) is the extraction folder. */
function sandbox(): { world: string; dest: string; deb: (name: string, members: TarMember[]) => string } {
  const world = path.join(root, `case-${++n}`);
  fs.mkdirSync(path.join(world, 'a', 'b'), { recursive: true });
  return {
    world,
    dest: path.join(world, 'a', 'b', 'pkg'),
    deb: (name, members) => {
      const file = path.join(root, `case-${n}-${name}.deb`);
      writeDeb(file, members);
      return file;
    },
  };
}

/** Every path under `dir` (relative), links included, without following any. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(`${path.relative(dir, p)}${e.isSymbolicLink() ? ' (link)' : e.isDirectory() ? '/' : ''}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** unpackDeb must refuse; returns the message. */
function refusal(deb: string, dest: string, wildcards = KERNEL_MEMBERS): string {
  try {
    unpackDeb(deb, dest, wildcards);
  } catch (e) {
    assert.ok(isKernelDataError(e), `a KernelDataError, not ${(e as Error).stack}`);
    assert.ok(e.message.startsWith(deb), `the message names the package: ${e.message}`);
    return e.message;
  }
  assert.fail(`${path.basename(deb)} was unpacked`);
}

const dirs: TarMember[] = [{ path: './', type: 'Directory' }, { path: './boot/', type: 'Directory' }];
const image: TarMember = { path: './boot/vmlinuz-6.1.0-crafted', body: 'not really a kernel image' };

describe('hostile .deb packages', () => {
  it('a clean package unpacks: regular files only, links inside it skipped (the control case)', () => {
    const s = sandbox();
    const deb = s.deb('clean', [...dirs, image, { path: './usr/share/doc/linux-image', type: 'SymbolicLink', linkpath: 'linux-base' }]);
    unpackDeb(deb, s.dest, KERNEL_MEMBERS);
    assert.deepEqual(listing(s.world), ['a/', 'a/b/', 'a/b/pkg/', 'a/b/pkg/boot/', 'a/b/pkg/boot/vmlinuz-6.1.0-crafted']);
    assert.equal(fs.readFileSync(findKernelImage(s.dest), 'utf8'), 'not really a kernel image');
  });

  it('path traversal: a member named ../../.. is refused and nothing is written', () => {
    for (const evil of ['../../../evil', './boot/../../../../evil', '../evil']) {
      const s = sandbox();
      const deb = s.deb('traversal', [...dirs, image, { path: evil, body: 'written outside' }]);
      assert.match(refusal(deb, s.dest, []), new RegExp(`member ${evil.replace(/\./g, '\\.')} has a \`\\.\\.\` in its path: refusing the package`));
      assert.deepEqual(listing(s.world), ['a/', 'a/b/'], `nothing written for ${evil}`);
    }
  });

  it('absolute member paths are refused and nothing is written', () => {
    const s = sandbox();
    const target = path.join(s.world, 'abs-evil');
    const deb = s.deb('absolute', [...dirs, image, { path: target, body: 'written outside' }]);
    assert.match(refusal(deb, s.dest, []), /has an absolute path: refusing the package/);
    assert.deepEqual(listing(s.world), ['a/', 'a/b/']);
  });

  it('symbolic links out of the package are refused, absolute or relative', () => {
    for (const linkpath of ['/etc', '../../..', '../../../../../../etc', './x/../../..']) {
      const s = sandbox();
      const deb = s.deb('symlink', [...dirs, { path: './lib', type: 'SymbolicLink', linkpath }, image]);
      assert.match(refusal(deb, s.dest), new RegExp(`member \\./lib is a symbolic link to ${linkpath.replace(/\./g, '\\.')}, outside the package`));
      assert.deepEqual(listing(s.world), ['a/', 'a/b/'], `nothing written for a link to ${linkpath}`);
    }
  });

  it('hard links out of the package are refused, and a wanted member that is a hard link is not read', () => {
    const s = sandbox();
    const out = s.deb('hardlink-out', [...dirs, { path: './boot/vmlinuz-6.1.0-crafted', type: 'Link', linkpath: '/etc/shadow' }]);
    assert.match(refusal(out, s.dest), /member \.\/boot\/vmlinuz-6\.1\.0-crafted is a hard link to \/etc\/shadow, outside the package/);
    const up = s.deb('hardlink-up', [...dirs, { path: './boot/vmlinuz-6.1.0-crafted', type: 'Link', linkpath: '../../../etc/shadow' }]);
    assert.match(refusal(up, s.dest), /is a hard link to \.\.\/\.\.\/\.\.\/etc\/shadow, outside the package/);
    const inside = s.deb('hardlink-in', [...dirs, { path: './boot/config', body: 'CONFIG_X=y' }, { path: './boot/vmlinuz-6.1.0-crafted', type: 'Link', linkpath: './boot/config' }]);
    assert.match(refusal(inside, s.dest), /member \.\/boot\/vmlinuz-6\.1\.0-crafted is a hard link to \.\/boot\/config, not a regular file: refusing to read it/);
    assert.deepEqual(listing(s.world), ['a/', 'a/b/']);
  });

  it('a vmlinuz that is a symbolic link to /etc/shadow is refused, never followed', () => {
    const s = sandbox();
    const deb = s.deb('shadow', [...dirs, { path: './boot/vmlinuz-6.1.0-crafted', type: 'SymbolicLink', linkpath: '/etc/shadow' }]);
    assert.match(refusal(deb, s.dest), /member \.\/boot\/vmlinuz-6\.1\.0-crafted is a symbolic link to \/etc\/shadow, outside the package: refusing the package/);
    // A link that stays inside the package but is the wanted image is not followed either.
    const inside = s.deb('inner-link', [...dirs, { path: './boot/config', body: 'CONFIG_X=y' }, { path: './boot/vmlinuz-6.1.0-crafted', type: 'SymbolicLink', linkpath: 'config' }]);
    assert.match(refusal(inside, s.dest), /member \.\/boot\/vmlinuz-6\.1\.0-crafted is a symbolic link to config, not a regular file: refusing to read it/);
    assert.deepEqual(listing(s.world), ['a/', 'a/b/']);
  });

  it('a member that is a FIFO, or a name given twice, is refused', () => {
    const s = sandbox();
    const fifo = s.deb('fifo', [...dirs, { path: './boot/vmlinuz-6.1.0-crafted', type: 'FIFO' }]);
    assert.match(refusal(fifo, s.dest), /is a FIFO, not a regular file/);
    const twice = s.deb('twice', [...dirs, image, { ...image, body: 'the second one wins in GNU tar' }]);
    assert.match(refusal(twice, s.dest), /member \.\/boot\/vmlinuz-6\.1\.0-crafted appears twice: refusing the package/);
    assert.deepEqual(listing(s.world), ['a/', 'a/b/']);
  });

  it('a package that unpacks past the size or member limit is stopped (limits lowered for the test)', () => {
    const s = sandbox();
    // 2 MiB of zeros, 2 kB gzipped: the data archive is stopped at 1 MiB, not written whole.
    const big = s.deb('big', [...dirs, { path: './boot/vmlinuz-6.1.0-crafted', body: Buffer.alloc(2 << 20) }]);
    assert.ok(fs.statSync(big).size < 64 << 10);
    assert.throws(() => unpackDeb(big, s.dest, KERNEL_MEMBERS, { maxDataTarBytes: 1 << 20 }), /the package's data archive unpacks to more than 1048576 bytes .*: refusing it/);
    const many = s.deb('many', [...dirs, ...Array.from({ length: 20 }, (_, i) => ({ path: `./usr/share/doc/f${i}`, body: 'x' }))]);
    assert.throws(() => unpackDeb(many, s.dest, KERNEL_MEMBERS, { maxMembers: 10 }), /more than 10 members .*: refusing the package/);
    assert.deepEqual(listing(s.world), ['a/', 'a/b/']);
    // The real limits are far above real packages.
    assert.ok(MAX_DATA_TAR_BYTES >= 4 * 411e6 && MAX_MEMBERS >= 20 * 5000);
  });

  it('links across packages: each package gets a fresh folder; a used one is refused', () => {
    const s = sandbox();
    // What 0.1 did: package A unpacked, then package B into the same folder, through A's link.
    fs.mkdirSync(s.dest);
    fs.symlinkSync(path.join(s.world, 'a'), path.join(s.dest, 'boot'));
    const b = s.deb('b', [...dirs, image]);
    assert.match(refusal(b, s.dest), /is not a fresh empty directory: each package is unpacked into its own/);
    assert.deepEqual(listing(s.world), ['a/', 'a/b/', 'a/b/pkg/', 'a/b/pkg/boot (link)'], 'nothing written through the link');
  });

  it('index --deb A B: A with links out is refused, B is never unpacked through them', async () => {
    const s = sandbox();
    const outside = path.join(s.world, 'outside');
    fs.mkdirSync(outside);
    for (const linkpath of [outside, '../../../../../../../../../../..' + outside]) {
      const a = s.deb('a', [...dirs, { path: './boot', type: 'SymbolicLink', linkpath }]);
      // B without a ./boot/ directory entry: GNU tar then wrote the image through A's link.
      const b = s.deb('b', [{ path: './', type: 'Directory' }, image]);
      const err: string[] = [];
      const status = await indexRun(['--deb', a, b, '-o', path.join(s.world, 'out.atlas')], { stdout: { write: () => true }, stderr: { write: (t: string) => err.push(t) } });
      assert.equal(status, 1);
      assert.match(err.join(''), /member \.\/boot is a symbolic link to .*, outside the package: refusing the package/);
      assert.deepEqual(fs.readdirSync(outside), [], `nothing written through a link to ${linkpath}`);
      assert.ok(!fs.existsSync(path.join(s.world, 'out.atlas')));
    }
  });
});
