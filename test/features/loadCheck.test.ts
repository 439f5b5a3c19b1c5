// Will it load there, in the editor: hover on kfunc calls and the load diagnostics at the call, on
// real-style programs (test/fixtures/c/taskguard.bpf.c, execwatch.bpf.c) over the bundled Debian
// and Ubuntu kernels. Every expectation comes from the kernels' own data: the kfunc sets and
// program-type tables of Debian's linux-source packages and each kernel's functions.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DiagnosticSeverity, type Diagnostic, type Hover } from 'vscode-languageserver';
import { diagnostics } from '../../server/src/features/diagnostics';
import { hover } from '../../server/src/features/hover';
import { featureContext, loadFixture, marker, openFixture } from './fixture';

const TARGETS = ['ubuntu-20.04', 'ubuntu-22.04', 'debian-11', 'debian-12', 'debian-13', 'debian-sid'];

function text(h: Hover | null): string {
  assert.ok(h, 'a hover');
  const c = h.contents;
  assert.ok(typeof c === 'object' && 'kind' in c && c.kind === 'markdown', 'markdown contents');
  return c.value;
}

/** The hover at a named marker (inside the name that follows it). */
async function hoverAt(fixture: string, label: string, targets = TARGETS): Promise<string> {
  const f = loadFixture(fixture);
  const doc = await openFixture(f);
  const at = marker(f, label);
  return text(hover(doc, { line: at.line, character: at.character + 2 }, featureContext(targets)));
}

/** The cell of a target's row in the per-target table of a hover. */
function cell(md: string, target: string): string {
  const row = md.split('\n').find((l) => l.startsWith(`| ${target} (`));
  assert.ok(row, `a row for ${target} in\n${md}`);
  return row.split(' | ')[1].replace(/ \|$/, '');
}

describe('hover on a kfunc call', () => {
  it('bpf_task_acquire in a kprobe: prototype from BTF, its set and flags, absent before 6.2, not registered for kprobes after', async () => {
    const md = await hoverAt('c/taskguard.bpf.c', 'acquire');
    assert.match(md, /```c\nstruct task_struct \*bpf_task_acquire\(struct task_struct \*p\)\n```/);
    assert.match(md, /\*\*kfunc\*\* in `generic_btf_ids` \(kernel\/bpf\/helpers\.c, Debian linux-source-[\d.]+ [^)]+\), flags [A-Z_ |]*KF_ACQUIRE/);
    assert.match(md, /registered for TRACING,/);
    for (const k of ['ubuntu-20.04', 'ubuntu-22.04', 'debian-11', 'debian-12']) assert.equal(cell(md, k), '✗ does not have it', k);
    for (const k of ['debian-13', 'debian-sid']) {
      assert.match(cell(md, k), /^✗ bpf_task_acquire is registered for BPF_PROG_TYPE_TRACING.*BPF_PROG_TYPE_KPROBE maps to kfunc hook BTF_KFUNC_HOOK_KPROBE/, k);
    }
  });

  it('bpf_task_from_pid in fentry: has it from 6.12 on, none before (its set registers TRACING)', async () => {
    const md = await hoverAt('c/taskguard.bpf.c', 'fromPid');
    assert.match(md, /^```c\nstruct task_struct \*bpf_task_from_pid\(s32 pid\)\n```/);
    for (const k of ['debian-13', 'debian-sid']) assert.equal(cell(md, k), 'has it', k);
    for (const k of ['ubuntu-22.04', 'debian-12']) assert.equal(cell(md, k), '✗ does not have it', k);
  });

  it('a kfunc of the common hook says every program type may call it', async () => {
    const f = loadFixture('c/execwatch.bpf.c');
    const doc = await openFixture(f);
    const line = f.text.split('\n').findIndex((l) => /^\t\tbpf_rcu_read_lock\(\)/.test(l));
    const md = text(hover(doc, { line, character: 4 }, featureContext(TARGETS)));
    assert.match(md, /\*\*kfunc\*\* in `common_btf_ids` .*registered for every program type \(the common hook\)\./);
    assert.equal(cell(md, 'debian-13'), 'has it');
    assert.equal(cell(md, 'debian-11'), '✗ does not have it');
  });

  it('a name that is neither a helper nor a kfunc has no kfunc hover', async () => {
    const f = loadFixture('c/taskguard.bpf.c');
    const doc = await openFixture(f);
    const line = f.text.split('\n').findIndex((l) => l.startsWith('static long count_one'));
    const h = hover(doc, { line, character: 'static long co'.length }, featureContext(TARGETS));
    assert.doesNotMatch(h ? text(h) : '', /\*\*kfunc\*\*/);
  });
});


const LOAD_CODES = new Set(['helper-unavailable', 'helper-not-allowed', 'kfunc-unavailable', 'kfunc-not-allowed', 'map-type-unavailable', 'prog-type-unavailable']);

/** The load diagnostics of a fixture, and a lookup by named marker or by the text of a line. */
async function loadDiags(fixture: string, targets = TARGETS) {
  const f = loadFixture(fixture);
  const doc = await openFixture(f);
  const diags = diagnostics(doc, featureContext(targets)).filter((d) => LOAD_CODES.has(String(d.code)));
  const lines = f.text.split('\n');
  const at = (line: number) => diags.filter((d) => d.range.start.line === line);
  return {
    diags,
    atMarker: (label: string) => at(marker(f, label).line),
    atText: (needle: string) => {
      const line = lines.findIndex((l) => l.includes(needle));
      assert.ok(line >= 0, `${fixture} has a line with ${needle}`);
      return at(line);
    },
  };
}

/** The kernels a load message is about: the list after " on " (`a (v), b (v)` or `a, b and c`),
 *  before its first-version note or its reason. */
function kernelsIn(d: Diagnostic): string[] {
  const m = / on (.*?)(?: \((?:first in|not before) |: |\.$)/.exec(d.message);
  assert.ok(m, `a kernel list in ${d.message}`);
  return m[1].split(/, | and /).map((k) => k.replace(/ \(\d+\.\d+\)$/, ''));
}

/** The evidence line of a load diagnostic: the related information that names the program. */
function evidence(d: Diagnostic): string {
  const r = d.relatedInformation?.find((x) => /^\w+ \(SEC\("/.test(x.message));
  assert.ok(r, `evidence in ${JSON.stringify(d.relatedInformation)}`);
  return r.message;
}

describe('load diagnostics at the call', () => {
  it('a kfunc the kernel lacks, and a kfunc a kprobe may not call where the kernel has it', async () => {
    const { atMarker } = await loadDiags('c/taskguard.bpf.c');
    const ds = atMarker('acquire');
    const missing = ds.find((d) => d.code === 'kfunc-unavailable');
    const refused = ds.find((d) => d.code === 'kfunc-not-allowed');
    assert.ok(missing && refused, JSON.stringify(ds.map((d) => d.message)));
    assert.deepEqual(kernelsIn(missing), ['ubuntu-20.04', 'ubuntu-22.04', 'debian-11', 'debian-12']);
    assert.match(missing.message, /^kfunc bpf_task_acquire does not exist on .*6\.2/);
    assert.deepEqual(kernelsIn(refused), ['debian-13', 'debian-sid']);
    assert.match(refused.message, /^kprobe programs may not call kfunc bpf_task_acquire/);
    assert.match(evidence(refused), /^do_exit_entry \(SEC\("kprobe\/do_exit"\)\): .*BTF_KFUNC_HOOK_KPROBE/);
    for (const d of ds) {
      assert.equal(d.severity, DiagnosticSeverity.Error);
      assert.equal(d.source, 'bpf-atlas');
      assert.ok(d.codeDescription?.href.endsWith(`/docs/diagnostics.md#${d.code}`));
    }
  });

  it('a helper newer than a target kernel: only the kernels whose own enum lacks it', async () => {
    const { atMarker, atText } = await loadDiags('c/taskguard.bpf.c');
    const [loop, ...more] = atMarker('loop');
    assert.equal(more.length, 0);
    assert.equal(loop.code, 'helper-unavailable');
    // The Ubuntu 5.4 and 5.15 images' own enum bpf_func_id (DepSurf bpf-enums.json) has no BPF_FUNC_loop either.
    assert.equal(loop.message, 'bpf_loop does not exist on ubuntu-20.04 (5.4), ubuntu-22.04 (5.15), debian-11 (5.10) (first in Linux 5.17).');
    // The evidence names the first kernel's own enum (its BTF or DepSurf's); debian-11's own BTF
    // enum now answers before the enum of its Debian linux-source package.
    assert.match(evidence(loop), /enum bpf_func_id of ubuntu-20\.04 has no BPF_FUNC_loop/);
    const [loop11] = (await loadDiags('c/taskguard.bpf.c', ['debian-11'])).atMarker('loop');
    assert.match(evidence(loop11), /enum bpf_func_id of debian-11 has no BPF_FUNC_loop/);
    const [taskBtf] = atText('bpf_get_current_task_btf()');
    assert.equal(taskBtf.message, 'bpf_get_current_task_btf does not exist on ubuntu-20.04 (5.4), debian-11 (5.10) (first in Linux 5.11).');
  });

  it('helpers the program type may not call: sleepable-only in fentry, a tracing helper in XDP', async () => {
    const { atMarker } = await loadDiags('c/taskguard.bpf.c');
    const copyAll = atMarker('copy');
    // Ubuntu 20.04 (5.4) lacks the helper itself (its enum bpf_func_id ends before BPF_FUNC_copy_from_user, 5.10).
    assert.deepEqual(copyAll.filter((d) => d.code !== 'helper-not-allowed').map((d) => [d.code, kernelsIn(d)]), [['helper-unavailable', ['ubuntu-20.04']]]);
    const copy = copyAll.filter((d) => d.code === 'helper-not-allowed');
    assert.ok(copy.length);
    assert.deepEqual(copy.flatMap(kernelsIn).sort(), ['debian-11', 'debian-12', 'debian-13', 'debian-sid', 'ubuntu-22.04']);
    assert.ok(copy.some((d) => /it may sleep: only sleepable programs/.test(d.message)));
    const [xdp, ...more] = atMarker('pidInXdp');
    assert.equal(more.length, 0);
    assert.match(xdp.message, /^xdp programs may not call bpf_get_current_pid_tgid on /);
    assert.match(evidence(xdp), /net\/core\/filter\.c:xdp_func_proto .* does not return bpf_get_current_pid_tgid/);
    // From 6.10 bpf_base_func_proto returns it to every program type (before its CAP_BPF check).
    assert.deepEqual(kernelsIn(xdp).filter((k) => k === 'debian-13' || k === 'debian-sid'), []);
    const md = await hoverAt('c/taskguard.bpf.c', 'pidInXdp');
    for (const k of ['debian-13', 'debian-sid']) assert.equal(cell(md, k), 'has it', k);
    assert.match(cell(md, 'debian-12'), /^✗ net\/core\/filter\.c:xdp_func_proto/);
  });

  it('guarded calls are never errors: bpf_core_enum_value_exists (helper) and bpf_ksym_exists (__weak kfunc)', async () => {
    const t = await loadDiags('c/taskguard.bpf.c');
    assert.deepEqual(t.atMarker('guardedLoop'), []);
    assert.deepEqual(t.atMarker('fromPid'), []);
    const e = await loadDiags('c/execwatch.bpf.c');
    assert.deepEqual(e.atText('e->cookie = bpf_get_attach_cookie(ctx)'), []);
    assert.deepEqual(e.atText('\t\tbpf_rcu_read_lock();'), []);
    assert.deepEqual(e.atText('\t\tbpf_rcu_read_unlock();'), []);
  });

  it('execwatch: bpf_loop before 5.17, bpf_get_func_ip before 5.15, bpf_d_path in a kprobe everywhere, bpf_ktime_get_ns nowhere', async () => {
    const { diags, atText } = await loadDiags('c/execwatch.bpf.c');
    // Ubuntu 20.04 (5.4) and 22.04 (5.15) answer from their own enum bpf_func_id (DepSurf bpf-enums.json).
    assert.deepEqual(atText('bpf_loop(MAX_ARGS').map((d) => [d.code, kernelsIn(d)]), [['helper-unavailable', ['ubuntu-20.04', 'ubuntu-22.04', 'debian-11']]]);
    assert.deepEqual(atText('bpf_get_func_ip(ctx)').map((d) => [d.code, kernelsIn(d)]), [['helper-unavailable', ['ubuntu-20.04', 'debian-11']]]);
    const dPathAll = atText('bpf_d_path(');
    assert.deepEqual(dPathAll.filter((d) => d.code === 'helper-unavailable').map(kernelsIn), [['ubuntu-20.04']]);
    const dPath = dPathAll.find((d) => d.code === 'helper-not-allowed');
    assert.ok(dPath, JSON.stringify(dPathAll.map((d) => d.message)));
    assert.equal(dPath.code, 'helper-not-allowed');
    assert.deepEqual(kernelsIn(dPath), ['ubuntu-22.04', 'debian-11', 'debian-12', 'debian-13', 'debian-sid']);
    assert.ok(!diags.some((d) => d.message.includes('bpf_ktime_get_ns')));
  });

  it('the helper hover agrees: the real first kernel and each target with its own answer', async () => {
    const md = await hoverAt('c/taskguard.bpf.c', 'loop');
    assert.match(md, /First in Linux 5\.17 \(helper #181\)/);
    assert.equal(cell(md, 'debian-11'), '✗ does not have it');
    for (const k of ['debian-12', 'debian-13', 'debian-sid']) assert.equal(cell(md, k), 'has it', k);
    // The Ubuntu images' own enums (DepSurf bpf-enums.json): neither 5.4 nor 5.15 has BPF_FUNC_loop.
    for (const k of ['ubuntu-20.04', 'ubuntu-22.04']) assert.equal(cell(md, k), '✗ does not have it', k);
  });
});

describe('program load verdicts kept between runs (analysis/loadCheck.ts)', () => {
  it('after edits (a target renamed, a line added above, a helper call added), the kept verdicts equal a run from scratch', async () => {
    const { fileLoadCheck } = await import('../../server/src/analysis/loadCheck');
    const { AnalysisCache } = await import('../../server/src/analysis/cache');
    const warm = featureContext(TARGETS);
    const scratch = () => ({ ...warm, cache: new AnalysisCache() });
    const strip = (c: ReturnType<typeof fileLoadCheck>) => ({ programs: c.programs, kernels: c.kernels, minKernel: c.minKernel });
    for (const name of ['c/taskguard.bpf.c', 'c/execwatch.bpf.c', 'c/opensnoop.bpf.c', 'c/runqlat.bpf.c']) {
      const f = loadFixture(name);
      const edits = [
        (t: string) => t,
        (t: string) => t.replace(/SEC\("(kprobe|fentry|kretprobe|fexit|tp_btf|raw_tp)\/[A-Za-z0-9_]+"\)/, 'SEC("$1/vfs_write")'),
        (t: string) => `// a line above\n${t}`,
        (t: string) => t.replace(/\{\n/, '{\n\tbpf_loop(1, 0, 0, 0);\n'),
        (t: string) => t.replace(/SEC\("(kprobe|fentry|kretprobe|fexit|tp_btf|raw_tp)\/vfs_write"\)/, 'SEC("$1/no_such_function_x")'),
        (t: string) => t.replace(/char LICENSE\[\] SEC\("license"\) = "[^"]*"/, 'char LICENSE[] SEC("license") = "Proprietary"'),
      ];
      let text = f.text;
      for (const edit of edits) {
        text = edit(text);
        const doc = await openFixture({ ...f, text });
        const kept = strip(fileLoadCheck(doc, warm));
        assert.deepEqual(kept, strip(fileLoadCheck(doc, scratch())), name);
      }
    }
  });
});
