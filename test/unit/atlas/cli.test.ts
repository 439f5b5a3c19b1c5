// The atlas verbs of the CLI (kernels, lookup, index) through main(): JSON schema of lookup,
// readable text, exit statuses, usage errors without stack traces, and `index --btf` of the
// running kernel's BTF loaded back with --kernel FILE.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../../server/src/cli';
import { debianVmlinux } from '../../../scripts/debian/testInputs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } });
  return { code, out, err };
}

describe('bpf-atlas kernels', () => {
  it('lists bundled kernels as text and JSON', async () => {
    const text = await cli('kernels', '--no-live');
    assert.equal(text.code, 0);
    assert.match(text.out, /^ID\s+RELEASE\s+ARCH\s+SOURCE/);
    assert.match(text.out, /ubuntu-22\.04\s+5\.15\.0-25-generic\s+amd64\s+bundled\s+60501\s+1506\s+345\s+203/);
    const json = await cli('kernels', '--no-live', '--json');
    const parsed = JSON.parse(json.out) as { kernels: { id: string; source: string; counts: { functions: number } }[] };
    const jammy = parsed.kernels.find((k) => k.id === 'ubuntu-22.04')!;
    assert.equal(jammy.source, 'bundled');
    assert.equal(jammy.counts.functions, 60501);
  });

  it('refuses unknown options with usage and status 2', async () => {
    const r = await cli('kernels', '--frobnicate');
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown option --frobnicate/);
    assert.match(r.err, /usage: bpf-atlas kernels/);
  });
});

describe('bpf-atlas lookup', () => {
  it('prints the documented JSON', async () => {
    const r = await cli('lookup', '--no-live', '--json', '--kernel', 'ubuntu-22.04', '--kernel', '5.4', 'kprobe:finish_task_switch');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.target, 'kprobe:finish_task_switch');
    assert.deepEqual(j.results.map((x: { kernel: string }) => x.kernel), ['ubuntu-22.04', 'ubuntu-20.04']);
    const [jammy, focal] = j.results;
    assert.equal(jammy.found, true);
    assert.equal(jammy.attachable, false);
    assert.ok(jammy.hazards.includes('renamed'));
    assert.equal(jammy.attachAs, 'finish_task_switch.isra.0');
    assert.equal(jammy.messages[0].hazard, 'renamed');
    assert.equal(jammy.messages[0].severity, 'error');
    assert.equal(focal.attachable, true);
    assert.equal(focal.proto, 'struct rq *finish_task_switch(struct task_struct *prev)');
    assert.ok(Array.isArray(j.across));
  });

  it('gives tracepoint fields, with null offsets where the source has none', async () => {
    const r = await cli('lookup', '--no-live', '--json', '--kernel', 'ubuntu-22.04', 'tracepoint:sched/sched_switch');
    const res = JSON.parse(r.out).results[0];
    assert.deepEqual(res.fields[0], { name: 'prev_comm', type: 'char[16]', offset: null, size: null });
    assert.deepEqual(res.args[0], { name: 'preempt', type: 'bool' });
    assert.equal(res.system, 'sched');
  });

  it('prints readable text with the hazards and the cross-kernel differences', async () => {
    const r = await cli('lookup', '--no-live', '--kernel', 'ubuntu-22.04', '--kernel', 'ubuntu-22.10', 'kprobe:blk_account_io_start');
    assert.equal(r.code, 0);
    assert.match(r.out, /ubuntu-22\.04 \(5\.15\.0-25-generic\): attachable\n/);
    assert.match(r.out, /info partially-inlined: ubuntu-22\.04's inline data marks blk_account_io_start\(\) as selectively inlined but names no caller/);
    assert.match(r.out, /ubuntu-22\.10 \(5\.19\.0-21-generic\): not attachable/);
    assert.match(r.out, /error fully-inlined/);
  });

  it('reports bad targets and unknown kernels as usage errors', async () => {
    const bad = await cli('lookup', '--no-live', 'vfs_read');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /cannot read target "vfs_read"/);
    assert.doesNotMatch(bad.err, /\n\s+at /);
    const unknown = await cli('lookup', '--no-live', '--kernel', 'ubuntu-99.04', 'kprobe:vfs_read');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown kernel "ubuntu-99\.04"/);
    const none = await cli('lookup', '--no-live');
    assert.equal(none.code, 2);
    assert.match(none.err, /missing TARGET/);
  });
});

describe('bpf-atlas index', () => {
  it('needs exactly one source and an output', async () => {
    assert.equal((await cli('index', '-o', path.join(tmp, 'x.atlas'))).code, 2);
    assert.equal((await cli('index', '--live', '--btf', '/x', '-o', 'y')).code, 2);
    const r = await cli('index', '--live');
    assert.equal(r.code, 2);
    assert.match(r.err, /-o FILE/);
    const missing = await cli('index', '--btf', path.join(tmp, 'nope.btf'), '-o', path.join(tmp, 'n.atlas'));
    assert.equal(missing.code, 2);
    assert.match(missing.err, /nope\.btf: no such file/);
  });

  it('fails clearly on a file that is not BTF', async () => {
    const junk = path.join(tmp, 'junk.btf');
    fs.writeFileSync(junk, 'definitely not BTF');
    const r = await cli('index', '--btf', junk, '-o', path.join(tmp, 'junk.atlas'));
    assert.equal(r.code, 1);
    assert.match(r.err, /junk\.btf/);
    assert.doesNotMatch(r.err, /\n\s+at /);
  });

  const liveBtf = '/sys/kernel/btf/vmlinux';
  const readable = (() => { try { fs.accessSync(liveBtf, fs.constants.R_OK); return true; } catch { return false; } })();
  it('indexes a BTF file that lookup then takes with --kernel FILE', { skip: !readable && `${liveBtf} not readable` }, async () => {
    const out = path.join(tmp, 'host.atlas');
    const r = await cli('index', '--btf', liveBtf, '-o', out);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /host\.atlas: kernel host/);
    const l = await cli('lookup', '--no-live', '--json', '--kernel', out, 'fentry:vfs_read');
    assert.equal(l.code, 0, l.err);
    const res = JSON.parse(l.out).results[0];
    assert.equal(res.kernel, 'host');
    assert.equal(res.found, true);
    assert.match(res.proto, /^ssize_t vfs_read\(struct file \*file, char \*buf, size_t count, loff_t \*pos\)$/);
  });

  it('indexes a Debian vmlinux into the same facts as the bundled kernel', async () => {
    const vmlinux = debianVmlinux('debian-11').file;
    const out = path.join(tmp, 'bullseye.atlas');
    const r = await cli('index', '--vmlinux', vmlinux, '-o', out);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /kernel bullseye \(5\.10\.0-46-amd64 x86_64\)/);
    const l = await cli('lookup', '--no-live', '--json', '--kernel', out, '--kernel', 'debian-11', 'kprobe:do_sys_open');
    const [mine, bundled] = JSON.parse(l.out).results;
    assert.equal(mine.kernel, 'bullseye');
    assert.equal(mine.release, bundled.release);
    assert.equal(mine.proto, bundled.proto);
    // No DWARF in a vmlinux: the inline status is unknown, never guessed.
    assert.ok(mine.hazards.includes('unknown'));
    assert.ok(!mine.hazards.includes('partially-inlined'));
  });
});
