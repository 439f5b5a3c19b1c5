// CO-RE struct members over the bundled atlases (Debian kernels from their BTF, Ubuntu kernels from
// DepSurf's member lists) on a new program written in the style of the libbpf-tools
// (fixtures/c/schedsnap.bpf.c): member-missing diagnostics at the member naming the kernels, the
// member's name there and where it changed; nothing for guarded reads, flavor structs and members
// every target has; completion of members with availability; hover with offsets per kernel; the
// ___new/___old quick fix; bpftrace reads; and the same verdicts from an `index --btf` atlas of
// the running kernel as from `live`.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CompletionItem, Diagnostic, Hover } from 'vscode-languageserver';
import { AnalysisCache } from '../../server/src/analysis/cache';
import { accessOnTargets } from '../../server/src/analysis/members';
import { Atlas } from '../../server/src/atlas/atlas';
import { writeAtlasFile } from '../../server/src/atlas/format';
import { factsOfKernel } from '../../server/src/atlas/kernelAtlas';
import { codeActions } from '../../server/src/features/codeActions';
import { completion } from '../../server/src/features/completion';
import { diagnostics } from '../../server/src/features/diagnostics';
import { hover } from '../../server/src/features/hover';
import type { FeatureContext } from '../../server/src/features/shared/context';
import { openBtfFileKernel } from '../../server/src/kernel/liveIndex';
import { DEFAULT_SETTINGS } from '../../server/src/settings';
import { bundledKnowledge, documentStore, featureContext, loadFixture, marker, openFixture, stripMarkers } from './fixture';

/** Before 5.14 (state) and after (__state), both families. */
const TARGETS = ['debian-11', 'debian-12', 'debian-13', 'ubuntu-18.04', 'ubuntu-20.04', 'ubuntu-21.10', 'ubuntu-22.04', 'ubuntu-24.04'];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-members-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function memberDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return list.filter((d) => d.code === 'member-missing');
}

/** The kernels a member-missing message names before its first `;` or `.`. */
function namedKernels(d: Diagnostic): string[] {
  const head = / on (?:any target: )?(.*?)(?:;| \((?:removed|added|renamed) |, so )/.exec(d.message)?.[1] ?? '';
  return [...head.matchAll(/\b((?:debian|ubuntu)-[\w.-]+?)(?= \(|,| and|$)/g)].map((m) => m[1]);
}

async function schedsnap(targets = TARGETS) {
  const f = loadFixture('c/schedsnap.bpf.c');
  const doc = await openFixture(f);
  const ctx = featureContext(targets);
  return { f, doc, ctx, found: memberDiagnostics(diagnostics(doc, ctx)) };
}

function at(found: Diagnostic[], pos: { line: number; character: number }): Diagnostic {
  const d = found.find((x) => x.range.start.line === pos.line && x.range.start.character === pos.character);
  assert.ok(d, `a member-missing diagnostic at ${pos.line + 1}:${pos.character + 1} among ${found.map((x) => `${x.range.start.line + 1}:${x.range.start.character + 1}`).join(', ')}`);
  return d;
}

describe('member-missing diagnostics', () => {
  it('BPF_CORE_READ(prev, __state) in a tp_btf handler: the kernels before 5.14, with the name there', async () => {
    const { f, found } = await schedsnap();
    const d = at(found, marker(f, 'prevstate'));
    assert.deepEqual(namedKernels(d), ['debian-11', 'ubuntu-18.04', 'ubuntu-20.04', 'ubuntu-21.10']);
    assert.match(d.message, /there it is `state`/);
    assert.match(d.message, /the CO-RE relocation fails and the program does not load there/);
    assert.equal(d.severity, 1);
    const related = (d.relatedInformation ?? []).map((r) => r.message);
    assert.ok(related.some((m) => /^debian-12 \(6\.1\): unsigned int __state at offset 24$/.test(m)), related.join('\n'));
    assert.ok(related.some((m) => /^debian-11 \(5\.10\): no __state in task_struct \(it has state\)$/.test(m)), related.join('\n'));
  });

  it('next->__state read directly in the same handler: likewise', async () => {
    const { f, found } = await schedsnap();
    assert.deepEqual(namedKernels(at(found, marker(f, 'nextstate'))), ['debian-11', 'ubuntu-18.04', 'ubuntu-20.04', 'ubuntu-21.10']);
  });

  it('BPF_CORE_READ(rq, rq_disk): the kernels without it (gone in 5.19)', async () => {
    const { f, found } = await schedsnap();
    const d = at(found, marker(f, 'rqdisk'));
    assert.deepEqual(namedKernels(d), ['debian-12', 'debian-13', 'ubuntu-24.04']);
    assert.match(d.message, /removed between 5\.15 and 6\.1/);
  });

  it('inode->i_atime: the kernels where it is __i_atime (6.8) or i_atime_sec (6.12)', async () => {
    const { f, found } = await schedsnap();
    const d = at(found, marker(f, 'atime'));
    assert.deepEqual(namedKernels(d), ['debian-13', 'ubuntu-24.04']);
    assert.match(d.message, /there it is `i_atime_sec` or `__i_atime`/);
  });

  it('guarded reads, the flavor struct, and members every target has get nothing', async () => {
    const { found } = await schedsnap();
    assert.equal(found.length, 4, found.map((d) => `${d.range.start.line + 1}: ${d.message.slice(0, 60)}`).join('\n'));
  });

  it('targets that all have the member: no finding', async () => {
    const { f, found } = await schedsnap(['debian-12', 'debian-13', 'ubuntu-22.04']);
    assert.ok(!found.some((d) => d.range.start.line === marker(f, 'prevstate').line));
  });

  it('an ignore comment and the severity setting turn it off', async () => {
    const f = loadFixture('c/schedsnap.bpf.c');
    const text = f.text.replace('\ts->state = BPF_CORE_READ(prev, __state);', '\t// bpf-atlas-ignore: member-missing\n\ts->state = BPF_CORE_READ(prev, __state);');
    const doc = await openFixture({ ...stripMarkers(text, 'c/schedsnap-ignored.bpf.c') });
    assert.equal(memberDiagnostics(diagnostics(doc, featureContext(TARGETS))).length, 3);
    const off: FeatureContext = { ...featureContext(TARGETS), settings: { ...DEFAULT_SETTINGS, severity: { 'member-missing': 'off' } } as FeatureContext['settings'] };
    assert.equal(memberDiagnostics(diagnostics(doc, off)).length, 0);
  });
});

describe('member reads under a loader setting', () => {
  it('a read reached only when the loader sets a const volatile option is a warning naming it; the default path stays an error', async () => {
    const f = loadFixture('c/wakelat.bpf.c');
    const found = memberDiagnostics(diagnostics(await openFixture(f), featureContext(TARGETS)));
    const opt = at(found, marker(f, 'optstate'));
    assert.equal(opt.severity, 2);
    assert.match(opt.message, /does not load there when the loader sets `targ_by_state`/);
    assert.deepEqual(namedKernels(opt), ['debian-11', 'ubuntu-18.04', 'ubuntu-20.04', 'ubuntu-21.10']);
    const plain = at(found, marker(f, 'plainstate'));
    assert.equal(plain.severity, 1, 'the else branch is the default path: it runs unless an option is set');
    assert.match(plain.message, /the CO-RE relocation fails and the program does not load there/);
    assert.doesNotMatch(plain.message, /loader sets/);
    assert.equal(found.length, 2);
  });
});

describe('member completion', () => {
  const TWO = ['debian-11', 'debian-12', 'ubuntu-20.04', 'ubuntu-22.04'];
  async function members(label: string): Promise<CompletionItem[]> {
    const f = loadFixture('c/completion/core-members.bpf.c');
    return completion(await openFixture(f), marker(f, label), featureContext(TWO)).items;
  }
  const find = (items: CompletionItem[], label: string) => {
    const i = items.find((x) => x.label === label);
    assert.ok(i, `${label} among ${items.map((x) => x.label).slice(0, 20).join(', ')}`);
    return i;
  };

  it('inside BPF_CORE_READ(prev, : __state and real_parent, with where they are missing', async () => {
    const items = await members('coreread');
    const state = find(items, '__state');
    assert.equal(state.labelDetails?.description, 'missing on debian-11, ubuntu-20.04');
    assert.equal(state.detail, 'unsigned int __state');
    const parent = find(items, 'real_parent');
    assert.equal(parent.labelDetails?.description, '');
    assert.equal(parent.detail, 'struct task_struct *real_parent');
    assert.equal(find(items, 'state').labelDetails?.description, 'missing on debian-12, ubuntu-22.04');
    assert.ok(parent.sortText! < state.sortText!, 'members every target has come first');
  });

  it('nested: after a pointer member, its struct; after `.`, the embedded struct', async () => {
    assert.ok(find(await members('nested'), 'tgid'));
    const se = await members('embedded');
    assert.ok(find(se, 'sum_exec_runtime'));
    assert.ok(!se.some((i) => i.label === 'real_parent'));
  });

  it('after ->: the typed prefix filters; a flavor offers what it declares; helpers too', async () => {
    assert.deepEqual((await members('arrow')).map((i) => i.label), ['__state']);
    const flavor = await members('flavor');
    assert.deepEqual(flavor.map((i) => i.label), ['state']);
    assert.equal(flavor[0].labelDetails?.description, 'missing on debian-12, ubuntu-22.04');
    assert.deepEqual((await members('helper')).map((i) => i.label).sort(), ['arg_end', 'arg_lock', 'arg_start']);
  });

  it('a chain\'s members are worked out once for the keystrokes of one member, as they are afresh', async () => {
    const f = loadFixture('c/completion/core-members.bpf.c');
    const doc = await openFixture(f);
    const pos = marker(f, 'coreread');
    const ctx = { ...featureContext(TWO), cache: new AnalysisCache() };
    const first = completion(doc, pos, ctx).items;
    const kept = ctx.cache.table('member-choices');
    assert.equal(kept.size, 1, 'one chain, one list kept');
    assert.deepEqual(completion(doc, pos, ctx).items, first);
    assert.equal(kept.size, 1, 'asked again: the kept list');
    assert.deepEqual(completion(doc, pos, { ...featureContext(TWO), cache: new AnalysisCache() }).items, first);
  });
});

describe('member hover', () => {
  it('type, offset per kernel, and where it is missing', async () => {
    const { f, doc } = await schedsnap(['debian-11', 'debian-12', 'ubuntu-22.04']);
    const pos = marker(f, 'prevstate');
    const h = hover(doc, { line: pos.line, character: pos.character + 2 }, featureContext(['debian-11', 'debian-12', 'ubuntu-22.04'])) as Hover;
    const text = (h.contents as { value: string }).value;
    assert.match(text, /member of `struct task_struct`: `unsigned int __state`/);
    assert.match(text, /\| debian-11 \(5\.10\) \| ✗ missing \(has `state`\) \|/);
    assert.match(text, /\| debian-12 \(6\.1\) \| `unsigned int __state` \| 24 \| 4 \|/);
    assert.match(text, /\| ubuntu-22\.04 \(5\.15\) \| `unsigned int __state` \| – \| – \|/);
  });
});

describe('member quick fix', () => {
  it('rewrites a renamed member into the ___new/___old flavors and bpf_core_field_exists', async () => {
    const { f, doc, ctx, found } = await schedsnap();
    const d = at(found, marker(f, 'prevstate'));
    const actions = codeActions(doc, d.range, [d], ctx);
    const fix = actions.find((a) => a.isPreferred);
    assert.ok(fix, actions.map((a) => a.title).join('\n'));
    assert.match(fix.title, /___new\/___old/);
    const edits = fix.edit!.changes![doc.uri];
    const text = TextDocument.applyEdits(TextDocument.create(doc.uri, 'c', 1, doc.text), edits);
    assert.match(text, /struct task_struct___new \{\n\tunsigned int __state;\n\} __attribute__\(\(preserve_access_index\)\);/);
    assert.match(text, /struct task_struct___old \{\n\tvolatile long int state;\n\} __attribute__\(\(preserve_access_index\)\);/);
    assert.match(text, /s->state = \(bpf_core_field_exists\(\(\(struct task_struct___new \*\)\(prev\)\)->__state\) \? BPF_CORE_READ\(\(struct task_struct___new \*\)\(prev\), __state\) : BPF_CORE_READ\(\(struct task_struct___old \*\)\(prev\), state\)\);/);
    const store = await documentStore();
    const fixed = store.open('file:///fixtures/schedsnap-fixed.bpf.c', 'c', 1, text);
    const after = memberDiagnostics(diagnostics(fixed, featureContext(TARGETS)));
    assert.equal(after.length, 3, 'the rewritten read is guarded; the others remain');
    assert.ok(!after.some((x) => /s->state = \(bpf_core/.test(text.split('\n')[x.range.start.line])));
  });
});

describe('bpftrace member reads', () => {
  it('curtask->__state, args.prev->__state, casts and variables', async () => {
    const f = loadFixture('bt/offstate.bt');
    const doc = await openFixture(f);
    const found = memberDiagnostics(diagnostics(doc, featureContext(TARGETS)));
    for (const label of ['args', 'curtask']) {
      const d = at(found, marker(f, label));
      assert.deepEqual(namedKernels(d), ['debian-11', 'ubuntu-18.04', 'ubuntu-20.04', 'ubuntu-21.10']);
      assert.match(d.message, /bpftrace cannot resolve it there/);
    }
    assert.deepEqual(namedKernels(at(found, marker(f, 'disk'))), ['debian-12', 'debian-13', 'ubuntu-24.04']);
    assert.equal(found.length, 3, 'real_parent->tgid through a variable exists everywhere');
  });
});

describe('an index --btf atlas of the running kernel answers as live', () => {
  const live = '/sys/kernel/btf/vmlinux';
  const skip = (() => { try { fs.accessSync(live, fs.constants.R_OK); return false; } catch { return `${live} not readable`; } })();
  it('the same member verdicts for every read of the fixture', { skip }, async () => {
    const file = path.join(tmp, 'host.atlas');
    const { kernel } = openBtfFileKernel(live, { id: 'host' });
    writeAtlasFile(file, [factsOfKernel(kernel, { id: 'host', source: 'file' })], { quality: 1 });
    const atlas = new Atlas({ dataDir: path.dirname(path.dirname(file)), bundled: false, live: true, files: [file] });
    await atlas.loadLive();
    const ctx: FeatureContext = { atlas, cache: new AnalysisCache(), targets: ['host', 'live'], settings: DEFAULT_SETTINGS, knowledge: bundledKnowledge() };
    const f = loadFixture('c/schedsnap.bpf.c');
    const doc = await openFixture(f);
    let judged = 0;
    for (const access of doc.core!.accesses) {
      const [fromFile, fromLive] = accessOnTargets(access, ctx).kernels;
      assert.deepEqual({ ...fromFile, kernel: '', version: '' }, { ...fromLive, kernel: '', version: '' }, access.steps.map((s) => s.name).join('.'));
      if (fromFile.status === 'present' || fromFile.status === 'absent') judged++;
    }
    assert.ok(judged >= 10, `${judged} reads judged`);
    const file2 = diagnostics(doc, ctx).filter((d) => d.code === 'member-missing');
    // On one kernel a member is there or not: the file and live agree on every finding.
    for (const d of file2) assert.ok(!/host/.test(d.message) || /live/.test(d.message), d.message);
  });
});
