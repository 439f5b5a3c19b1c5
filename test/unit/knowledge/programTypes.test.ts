// The kernel-source extraction behind program-types.json and kfuncs.json: its pieces on small
// inputs, and a rebuild from the Debian linux-source packages compared byte for byte with the
// bundled files (when the unpacked sources are at hand: $BPF_ATLAS_SRC_DIR).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { dataDir } from '../../../server/src/dataDir';
import { and, evaluate, formulaText, not, or, simplify } from '../../../server/src/knowledge/formula';
import { ppCondition, walkLines } from '../../../scripts/knowledge/cpp';
import { parseBpfTypes, parseBtfSets, parseSectionDefs } from '../../../scripts/knowledge/sourceFacts';
import { parseKfuncHooks } from '../../../scripts/knowledge/kfuncFacts';
import { LINUX_SOURCES, defaultSourceDir } from '../../../scripts/knowledge/linuxSource';
import { buildKnowledge } from '../../../scripts/knowledge/programTypes';

test('#if expressions over CONFIG_ options', () => {
  assert.equal(ppCondition('defined(CONFIG_NET)'), 'config:CONFIG_NET');
  assert.equal(ppCondition('IS_ENABLED(CONFIG_IPV6)'), 'configm:CONFIG_IPV6');
  assert.deepEqual(ppCondition('defined(CONFIG_A) && !IS_ENABLED(CONFIG_B)'), ['and', 'config:CONFIG_A', ['not', 'configm:CONFIG_B']]);
  assert.deepEqual(ppCondition('CONFIG_A || (defined CONFIG_B)'), ['or', 'config:CONFIG_A', 'config:CONFIG_B']);
  assert.match(ppCondition('LINUX_VERSION_CODE > 5') as string, /^unknown:/);
});

test('each line knows the #if branches it sits in', () => {
  const seen: [string, string][] = [];
  walkLines('a\n#ifdef CONFIG_X\nb\n#else\nc\n#endif\n#if IS_ENABLED(CONFIG_Y)\nd\n#elif defined(CONFIG_Z)\ne\n#endif\n', (line, guard) => {
    if (line.trim()) seen.push([line, formulaText(guard)]);
  });
  assert.deepEqual(seen, [
    ['a', 'true'], ['b', 'config:CONFIG_X'], ['c', '!config:CONFIG_X'],
    ['d', 'configm:CONFIG_Y'], ['e', '!configm:CONFIG_Y && config:CONFIG_Z'],
  ]);
});

test('formulas: one attach type at a time, capability splits merge, three-valued evaluation', () => {
  assert.equal(and('attach:BPF_TRACE_FENTRY', 'attach:BPF_TRACE_FEXIT'), false);
  assert.equal(and('attach:BPF_TRACE_FENTRY', not('attach:BPF_TRACE_ITER')), 'attach:BPF_TRACE_FENTRY');
  // !p || (p && !q) || (p && q)  ==  true: the capability checks of bpf_base_func_proto.
  assert.equal(simplify(or(not('priv:a'), and('priv:a', not('priv:b')), and('priv:a', 'priv:b'))), true);
  assert.equal(evaluate(and('sleepable', 'unknown:x'), (a) => (a === 'sleepable' ? false : undefined)), false);
  assert.equal(evaluate(and('sleepable', 'unknown:x'), (a) => (a === 'sleepable' ? true : undefined)), undefined);
});

test('macro lists: program types, BTF sets, libbpf sections, kfunc hooks', () => {
  assert.deepEqual(parseBpfTypes('BPF_PROG_TYPE(BPF_PROG_TYPE_KPROBE, kprobe,\n#ifdef CONFIG_NET\nBPF_PROG_TYPE(BPF_PROG_TYPE_XDP, xdp, struct xdp_md, struct xdp_buff)\n#endif\n'),
    [{ name: 'BPF_PROG_TYPE_KPROBE', ops: 'kprobe_verifier_ops', guard: true }, { name: 'BPF_PROG_TYPE_XDP', ops: 'xdp_verifier_ops', guard: 'config:CONFIG_NET' }]);
  const sets = parseBtfSets('BTF_KFUNCS_START(k)\nBTF_ID_FLAGS(func, bpf_task_acquire, KF_ACQUIRE | KF_RCU | KF_RET_NULL)\n#ifdef CONFIG_CGROUPS\nBTF_ID_FLAGS(func, bpf_cgroup_acquire)\n#endif\nBTF_KFUNCS_END(k)\n');
  assert.deepEqual(sets[0].members.map((m) => [m.name, m.flags, m.guard]),
    [['bpf_task_acquire', ['KF_ACQUIRE', 'KF_RCU', 'KF_RET_NULL'], true], ['bpf_cgroup_acquire', [], 'config:CONFIG_CGROUPS']]);
  assert.deepEqual(parseSectionDefs('\tSEC_DEF("fentry.s+",\t\tTRACING, BPF_TRACE_FENTRY, SEC_ATTACH_BTF | SEC_SLEEPABLE, attach_trace),\n'),
    [{ prefix: 'fentry.s', progType: 'BPF_PROG_TYPE_TRACING', attachType: 'BPF_TRACE_FENTRY', sleepable: true, takesTarget: true }]);
  assert.deepEqual(parseKfuncHooks('static int bpf_prog_type_to_kfunc_hook(enum bpf_prog_type prog_type)\n{\n\tswitch (prog_type) {\n\tcase BPF_PROG_TYPE_TRACING:\n\tcase BPF_PROG_TYPE_LSM:\n\t\treturn BTF_KFUNC_HOOK_TRACING;\n\tdefault:\n\t\treturn BTF_KFUNC_HOOK_MAX;\n\t}\n}\n')
    .map((h) => [h.progType, h.hook]), [['BPF_PROG_TYPE_TRACING', 'BTF_KFUNC_HOOK_TRACING'], ['BPF_PROG_TYPE_LSM', 'BTF_KFUNC_HOOK_TRACING'], ['default', 'BTF_KFUNC_HOOK_MAX']]);
});

const srcDir = defaultSourceDir();
const unpacked = LINUX_SOURCES.every((s) => fs.existsSync(path.join(srcDir, `${s.source.name}-${s.source.version}`, '.done')));

test('rebuilding program-types.json and kfuncs.json from the kernel sources is byte-identical', { timeout: 600_000 }, async (t) => {
  if (!unpacked) {
    const why = `needs the unpacked linux-source trees in ${srcDir} (BPF_ATLAS_SRC_DIR): run node out/scripts/knowledge/programTypes.js --fetch`;
    if (process.env.BPF_ATLAS_REQUIRE_DEBS) assert.fail(why);
    return t.skip(why);
  }
  const { programTypes, kfuncs } = await buildKnowledge(srcDir);
  const dir = path.join(dataDir(), 'knowledge');
  assert.ok(programTypes === fs.readFileSync(path.join(dir, 'program-types.json'), 'utf8'), 'program-types.json differs from a rebuild');
  assert.ok(kfuncs === fs.readFileSync(path.join(dir, 'kfuncs.json'), 'utf8'), 'kfuncs.json differs from a rebuild');
});
