// `bpf-atlas index --btf DIR|FILE...` over collections of real BTF (the .BTF sections of Debian's
// 5.10 and 6.1 images, laid out as btfhub-archive does: <distro>/<version>/<arch>/<release>.btf.tar.xz),
// `bpf-atlas merge`, and `lookup struct:...` answering member questions from the files written,
// the same as from the bundled kernels.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../../server/src/cli';
import { AtlasFile } from '../../../server/src/atlas/format';
import { findBtfInputs, shortRelease } from '../../../server/src/kernel/btfArchive';
import { parseElf } from '../../../server/src/kernel/elf';
import { debianVmlinux } from '../../../scripts/debian/testInputs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-btfdir-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } });
  return { code, out, err };
}

/** The raw .BTF of a Debian kernel image, written to `file`. */
function debianBtf(id: string, file: string): void {
  const vm = debianVmlinux(id);
  const elf = parseElf(vm.bytes, vm.file);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, elf.sectionBytes(elf.section('.BTF')!));
}

/** `dir/<release>.btf.tar.xz` holding `<release>.btf`, as btfhub-archive packs them. */
function btfhubFile(dir: string, release: string, btf: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(btf, path.join(dir, `${release}.btf`));
  const r = spawnSync('tar', ['-cJf', `${release}.btf.tar.xz`, `${release}.btf`], { cwd: dir });
  assert.equal(r.status, 0, String(r.stderr));
  fs.rmSync(path.join(dir, `${release}.btf`));
  return path.join(dir, `${release}.btf.tar.xz`);
}

function members(out: string): Record<string, string> {
  return Object.fromEntries((JSON.parse(out).results as { kernel: string; status: string }[]).map((r) => [r.kernel, r.status]));
}

describe('BTF collections', () => {
  it('names btfhub files readably, and apart where short names would clash', () => {
    const root = path.join(tmp, 'names');
    for (const rel of [
      'rhel/8.6/x86_64/4.18.0-372.9.1.el8.x86_64.btf.tar.xz',
      'centos/7/x86_64/3.10.0-1160.el7.x86_64.btf.tar.xz',
      'amzn/2/arm64/4.14.173-137.228.amzn2.aarch64.btf.tar.xz',
      'ubuntu/20.04/x86_64/5.4.0-26-generic.btf.tar.xz',
      'ubuntu/20.04/x86_64/5.4.0-26-lowlatency.btf.tar.xz',
      'fedora/34/x86_64/5.11.12-300.fc34.x86_64.btf.tar.xz',
    ]) {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), '');
    }
    const ids = Object.fromEntries(findBtfInputs([root]).map((x) => [x.relPath, x.id]));
    assert.deepEqual(ids, {
      'amzn/2/arm64/4.14.173-137.228.amzn2.aarch64.btf.tar.xz': 'amzn-2-4.14.173-137-arm64',
      'centos/7/x86_64/3.10.0-1160.el7.x86_64.btf.tar.xz': 'centos-7-3.10.0-1160',
      'fedora/34/x86_64/5.11.12-300.fc34.x86_64.btf.tar.xz': 'fedora-34-5.11.12-300',
      'rhel/8.6/x86_64/4.18.0-372.9.1.el8.x86_64.btf.tar.xz': 'rhel-8.6-4.18.0-372',
      'ubuntu/20.04/x86_64/5.4.0-26-generic.btf.tar.xz': 'ubuntu-20.04-5.4.0-26-generic',
      'ubuntu/20.04/x86_64/5.4.0-26-lowlatency.btf.tar.xz': 'ubuntu-20.04-5.4.0-26-lowlatency',
    });
    assert.equal(shortRelease('4.18.0-372.9.1.el8.x86_64'), '4.18.0-372');
  });

  const debian11 = path.join(tmp, 'raw', 'debian-11.btf');
  const debian12 = path.join(tmp, 'raw', 'debian-12.btf');
  debianBtf('debian-11', debian11);
  debianBtf('debian-12', debian12);
  const hub = path.join(tmp, 'btfhub');
  btfhubFile(path.join(hub, 'debian', '11', 'x86_64'), '5.10.0-46-amd64', debian11);
  btfhubFile(path.join(hub, 'debian', '12', 'x86_64'), '6.1.0-56-amd64', debian12);
  const fleet = path.join(tmp, 'hub.atlas');

  it('indexes a btfhub tree into one file with readable ids and types', async () => {
    const r = await cli('index', '--btf', hub, '-o', fleet);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /2 kernels \(debian-11-5\.10\.0-46, debian-12-6\.1\.0-56\)/);
    const file = AtlasFile.open(fleet);
    const metas = file.kernels();
    assert.deepEqual(metas.map((m) => [m.id, m.release, m.version, m.arch, m.distro]), [
      ['debian-11-5.10.0-46', '5.10.0-46-amd64', '5.10', 'x86_64', 'debian'],
      ['debian-12-6.1.0-56', '6.1.0-56-amd64', '6.1', 'x86_64', 'debian'],
    ]);
    assert.match(metas[0].provenance, /btfhub-archive layout debian\/11\/x86_64\/5\.10\.0-46-amd64\.btf\.tar\.xz/);
    const l = await cli('lookup', '--no-live', '--json', '--kernel', fleet, '--kernel', 'debian-11', '--kernel', 'debian-12', 'struct:task_struct.__state');
    assert.equal(l.code, 0, l.err);
    assert.deepEqual(members(l.out), { 'debian-11-5.10.0-46': 'absent', 'debian-12-6.1.0-56': 'present', 'debian-11': 'absent', 'debian-12': 'present' });
    const s = await cli('lookup', '--no-live', '--json', '--kernel', fleet, 'struct:task_struct.state');
    assert.deepEqual(members(s.out), { 'debian-11-5.10.0-46': 'present', 'debian-12-6.1.0-56': 'absent' });
    // The same offsets as the bundled kernel built from the same image.
    const o = await cli('lookup', '--no-live', '--json', '--kernel', fleet, '--kernel', 'debian-12', 'struct:sock.__sk_common.skc_dport');
    const [mine, bundled] = JSON.parse(o.out).results;
    assert.equal(mine.offset, bundled.offset);
    assert.equal(mine.type, bundled.type);
  });

  it('takes several files, and says which path had no BTF', async () => {
    const out = path.join(tmp, 'two.atlas');
    const r = await cli('index', '--btf', debian11, debian12, '-o', out);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(AtlasFile.open(out).kernels().map((m) => m.id), ['debian-11', 'debian-12']);
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    const none = await cli('index', '--btf', empty, '-o', path.join(tmp, 'none.atlas'));
    assert.equal(none.code, 1);
    assert.match(none.err, /no BTF files/);
    const badId = await cli('index', '--btf', hub, '--id', 'x', '-o', path.join(tmp, 'x.atlas'));
    assert.equal(badId.code, 2);
  });

  it('merges files from many hosts, keeping a kernel listed twice once', async () => {
    const a = path.join(tmp, 'node-a.atlas');
    const b = path.join(tmp, 'node-b.atlas');
    assert.equal((await cli('index', '--btf', debian11, '-o', a)).code, 0);
    assert.equal((await cli('index', '--btf', debian11, '-o', b)).code, 0);
    const merged = path.join(tmp, 'fleet.atlas');
    const m = await cli('merge', a, b, fleet, fleet, '-o', merged);
    assert.equal(m.code, 0, m.err);
    // node-a and node-b are different ids with the same facts: both kept without --unique; the
    // hub kernels given twice are kept once.
    assert.deepEqual(AtlasFile.open(merged).kernels().map((k) => k.id), ['node-a', 'node-b', 'debian-11-5.10.0-46', 'debian-12-6.1.0-56']);
    const pair = path.join(tmp, 'pair.atlas');
    assert.equal((await cli('merge', a, b, '-o', pair)).code, 0);
    assert.ok(fs.statSync(pair).size < fs.statSync(a).size * 1.1, 'two kernels with the same facts share every record');
    const u = await cli('merge', '--unique', a, b, fleet, '-o', merged);
    assert.equal(u.code, 0, u.err);
    const kept = AtlasFile.open(merged).kernels();
    // The btfhub copy of 5.10 knows its release, the bare files do not: not the same facts.
    assert.deepEqual(kept.map((k) => k.id), ['node-a', 'debian-11-5.10.0-46', 'debian-12-6.1.0-56']);
    assert.match(kept[0].provenance, /the same kernel facts as node-b$/);
    const l = await cli('lookup', '--no-live', '--json', '--kernel', merged, 'struct:request.rq_disk');
    assert.deepEqual(members(l.out), { 'node-a': 'present', 'debian-11-5.10.0-46': 'present', 'debian-12-6.1.0-56': 'absent' });
  });

  it('refuses what is not an atlas, naming it', async () => {
    const junk = path.join(tmp, 'junk.atlas');
    fs.writeFileSync(junk, 'nope');
    const r = await cli('merge', junk, '-o', path.join(tmp, 'j.atlas'));
    assert.equal(r.code, 1);
    assert.match(r.err, /junk\.atlas: not a bpf-atlas atlas file/);
    assert.equal((await cli('merge', '-o', path.join(tmp, 'j.atlas'))).code, 2);
  });
});

describe('index --btf of the running kernel', () => {
  const live = '/sys/kernel/btf/vmlinux';
  const skip = (() => { try { fs.accessSync(live, fs.constants.R_OK); return false; } catch { return `${live} not readable`; } })();
  it('carries the members, answering as live does', { skip }, async () => {
    const out = path.join(tmp, 'host.atlas');
    assert.equal((await cli('index', '--btf', live, '-o', out)).code, 0);
    for (const target of ['struct:task_struct.__state', 'struct:task_struct.state', 'struct:sk_buff.len', 'struct:inode.i_atime', 'enum:bpf_func_id.BPF_FUNC_ringbuf_output', 'typedef:atomic_t']) {
      const r = await cli('lookup', '--json', '--kernel', out, '--kernel', 'live', target);
      assert.equal(r.code, 0, r.err);
      const [file, running] = JSON.parse(r.out).results;
      assert.deepEqual({ ...file, kernel: 'x', release: 'x' }, { ...running, kernel: 'x', release: 'x' }, target);
    }
    const release = fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8');
    const [maj, min] = release.split('.').map(Number);
    if (maj > 5 || (maj === 5 && min >= 14)) {
      const r = await cli('lookup', '--json', '--kernel', out, 'struct:task_struct.__state');
      assert.equal(JSON.parse(r.out).results[0].status, 'present');
      const s = await cli('lookup', '--json', '--kernel', out, 'struct:task_struct.state');
      assert.equal(JSON.parse(s.out).results[0].status, 'absent');
    }
  });
});
