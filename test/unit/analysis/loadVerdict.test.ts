// Will it load there, on a new program written in the style of real tools (test/fixtures/c/
// execwatch.bpf.c): what it needs (helpers and kfuncs per program through its static functions and
// callbacks, maps, license, guards) and the verdict per program and kernel on the bundled kernels.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileNeeds } from '../../../server/src/analysis/loadNeeds';
import {
  fileVerdict, helperProvider, kfuncProvider, kfuncSinceFrom, mapProvider, programVerdict, progTypeProvider, type ProgramVerdict,
} from '../../../server/src/analysis/loadVerdict';
import { LoadKnowledge, type KernelFeatures, compareKernelVersions } from '../../../server/src/knowledge/loadability';
import { firstVersionOf } from '../../../server/src/analysis/loadCheck';
import { bundledKnowledge, loadFixture, openFixture } from '../../features/fixture';
import { bundledIds, kernel, ubuntuSkip } from '../knowledge/kernels';

const knowledge = bundledKnowledge();
const lk = new LoadKnowledge(knowledge.programTypes(), knowledge.kfuncData());

async function verdicts(kernels: KernelFeatures[]): Promise<ProgramVerdict[]> {
  const doc = await openFixture(loadFixture('c/execwatch.bpf.c'));
  const needs = fileNeeds({ text: doc.text, tree: doc.tree, lines: doc.lines, programs: doc.c!.programs }, {
    isHelper: (n) => !!knowledge.helper(n),
    isKfunc: (n) => knowledge.kfuncData().kernels.some((k) => k.sets.some((s) => s.members.some((m) => m.name === n))),
  });
  const providers = [
    progTypeProvider(lk, knowledge), helperProvider(lk, knowledge), kfuncProvider(lk, kfuncSinceFrom(lk, kernels)), mapProvider(lk, knowledge),
  ];
  return needs.programs.map((p) => {
    const s = lk.sectionProgram(p.program.section);
    const facts = s && { progType: s.progType, attachType: s.attachType, sleepable: s.sleepable, target: p.program.target?.name };
    return programVerdict({ needs: p, file: needs, facts }, kernels, providers);
  });
}

function allKernels(): KernelFeatures[] {
  return bundledIds().map((id) => kernel(id)).filter((k): k is KernelFeatures => !!k);
}

const failsOn = (v: ProgramVerdict, subject: string) => new Set(v.reasons.filter((r) => r.subject === subject && r.effect === 'fails').flatMap((r) => r.kernels));
const older = (ks: KernelFeatures[], version: string) => new Set(ks.filter((k) => compareKernelVersions(k.version, version) < 0).map((k) => k.id));

test('needs: helpers through static functions and bpf_loop callbacks, kfuncs, maps, license, guards', async () => {
  const doc = await openFixture(loadFixture('c/execwatch.bpf.c'));
  const needs = fileNeeds({ text: doc.text, tree: doc.tree, lines: doc.lines, programs: doc.c!.programs }, {
    isHelper: (n) => !!knowledge.helper(n), isKfunc: () => false,
  });
  assert.deepEqual(needs.maps.map((m) => [m.name, m.type]), [['events', 'BPF_MAP_TYPE_RINGBUF'], ['seen', 'BPF_MAP_TYPE_HASH']]);
  assert.equal(needs.license, 'GPL');
  assert.equal(needs.gplCompatible, true);
  const [exec, unlink, fentry] = needs.programs;
  assert.ok(exec.helpers.some((h) => h.name === 'bpf_loop'), 'bpf_loop reached through count_args()');
  assert.deepEqual(exec.kfuncs.map((k) => [k.name, k.weak]), [['bpf_task_acquire', false], ['bpf_task_release', false]]);
  const cookie = unlink.helpers.find((h) => h.name === 'bpf_get_attach_cookie')!;
  assert.deepEqual(cookie.sites[0].guards.map((g) => [g.kind, 'name' in g ? g.name : '']), [['helper', 'bpf_get_attach_cookie']]);
  assert.deepEqual(unlink.helpers.find((h) => h.name === 'bpf_d_path')!.sites[0].guards, []);
  assert.deepEqual(fentry.kfuncs.map((k) => [k.name, k.weak, k.sites.map((s) => s.guards.map((g) => 'name' in g && g.name))]),
    [['bpf_rcu_read_lock', true, [['bpf_rcu_read_lock']]], ['bpf_rcu_read_unlock', true, [['bpf_rcu_read_unlock']]]]);
});

test('done when: bpf_loop before 5.17, bpf_get_func_ip before 5.15, ringbuf before 5.8, bpf_task_acquire before 6.2, bpf_d_path in a kprobe everywhere, bpf_ktime_get_ns nowhere', async (t) => {
  const ks = allKernels();
  if (ubuntuSkip()) t.diagnostic(`only the Debian kernels: ${ubuntuSkip()}`);
  const [exec, unlink, fentry] = await verdicts(ks);
  assert.deepEqual(failsOn(exec, 'bpf_loop'), older(ks, '5.17'));
  assert.deepEqual(failsOn(unlink, 'bpf_get_func_ip'), older(ks, '5.15'));
  assert.deepEqual(failsOn(unlink, 'BPF_MAP_TYPE_RINGBUF'), older(ks, '5.8'));
  assert.deepEqual(failsOn(exec, 'bpf_ringbuf_reserve'), older(ks, '5.8'));
  assert.deepEqual(failsOn(exec, 'bpf_task_acquire'), older(ks, '6.2'));
  assert.deepEqual(failsOn(unlink, 'bpf_d_path'), new Set(ks.map((k) => k.id)));
  for (const v of [exec, unlink, fentry]) {
    assert.ok(!v.reasons.some((r) => r.subject === 'bpf_ktime_get_ns' && r.effect === 'fails'), `${v.name}: bpf_ktime_get_ns flagged`);
    // The guarded forms never fail a kernel (where the checked kfunc's presence is unknown, so is
    // the call's fate).
    assert.ok(!v.reasons.some((r) => /bpf_get_attach_cookie|bpf_rcu_read_(un)?lock/.test(r.subject) && r.effect === 'fails'), `${v.name}: a guarded call was flagged`);
  }
  // Messages name the kernels and the first version that has it.
  const loop = exec.reasons.find((r) => r.subject === 'bpf_loop' && r.effect === 'fails')!;
  assert.match(loop.message, /bpf_loop does not exist on .*debian-11 \(5\.10\).*\(first in Linux 5\.17\)/);
  const dpath = unlink.reasons.find((r) => r.subject === 'bpf_d_path' && r.effect === 'fails' && r.kernels.includes('debian-12'))!;
  assert.match(dpath.message, /kprobe programs may not call bpf_d_path/);
  assert.match(dpath.evidence, /kprobe_prog_func_proto/);
  // Minimum kernels: the kfunc (not before 6.2) for the exec program, bpf_get_func_ip for the kprobe.
  assert.equal(exec.minKernel, ubuntuSkip() ? '6.12' : '6.2');
  assert.equal(unlink.minKernel, '5.15');
  const file = fileVerdict([exec, unlink, fentry], ks);
  assert.equal(file.minKernel, exec.minKernel);
  assert.equal(file.kernels['debian-11'], 'fails');
  assert.equal(file.kernels['debian-13'], 'fails', 'bpf_d_path in the kprobe fails everywhere');
  assert.equal(fentry.kernels['debian-13'], 'loads');
});

test('without enums in the atlas: map types at least as old as the kernel are present, the others unknown once per type, shared by the programs', async () => {
  const doc = await openFixture(loadFixture('c/execwatch.bpf.c'));
  const withFirst = new LoadKnowledge(knowledge.programTypes(), knowledge.kfuncData(), firstVersionOf(knowledge));
  const needs = fileNeeds({ text: doc.text, tree: doc.tree, lines: doc.lines, programs: doc.c!.programs }, { isHelper: (n) => !!knowledge.helper(n), isKfunc: () => false });
  // A 5.4 kernel whose atlas has no enums (the Ubuntu images before issue 15's types).
  const old: KernelFeatures = { id: 'old', version: '5.4', modulesCovered: false, enumValue: () => null, kfuncTags: () => undefined, hasFunction: () => undefined };
  const maps = mapProvider(withFirst, knowledge);
  const targets = [old];
  const [a, b] = needs.programs.map((p) => maps.reasons({ needs: p, file: needs }, targets));
  // BPF_MAP_TYPE_HASH is in 3.19: present. RINGBUF is in 5.8: not known on a 5.4 without its enum, never absent.
  assert.deepEqual(a.map((r) => [r.subject, r.effect]), [['BPF_MAP_TYPE_RINGBUF', 'unknown']]);
  assert.match(a[0].message, /whether old \(5\.4\) knows BPF_MAP_TYPE_RINGBUF \(map events\) is not known/);
  assert.equal(a, b, 'one answer per file, shared by its programs');
  assert.deepEqual(maps.requirements!({ needs: needs.programs[0], file: needs }).map((r) => [r.subject, r.since]), [['BPF_MAP_TYPE_RINGBUF', '5.8'], ['BPF_MAP_TYPE_HASH', '3.19']]);
});
