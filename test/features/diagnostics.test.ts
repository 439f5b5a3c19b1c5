// libbpf C diagnostics over the bundled atlases, on real-style programs (test/fixtures/check/tools):
// one summary per attach point naming each target kernel, handler checks, hints, settings, and no
// false alarms on load-time targets, networking sections and suppressed programs.
//
// The main targets are the ones issue 3 names, ubuntu-22.04 + debian-12; the same behaviours are
// checked on two Ubuntu kernels as well. The bundled atlases (data/atlas) are required: a missing
// kernel fails the suite rather than skipping it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import type { FeatureContext } from '../../server/src/features/shared/context';
import { diagnostics } from '../../server/src/features/diagnostics';
import { DEFAULT_SETTINGS, type Settings } from '../../server/src/settings';
import type { AnalyzedDocument } from '../../server/src/syntax/documents';
import { featureContext, loadFixture, openFixture } from './fixture';

const ISSUE_TARGETS = ['ubuntu-22.04', 'debian-12'];
const UBUNTU_TARGETS = ['ubuntu-22.04', 'ubuntu-24.04'];

/** Fails clearly when the bundled atlases lack a target kernel. */
function requireKernels(targets: readonly string[]): void {
  const ids = featureContext([]).atlas.list().map((m) => m.id);
  const missing = targets.filter((t) => !ids.includes(t));
  assert.deepEqual(missing, [], `data/atlas lacks ${missing.join(', ')}: rebuild the bundled atlases`);
}

function withSettings(ctx: FeatureContext, patch: Partial<Settings>): FeatureContext {
  return { ...ctx, settings: { ...DEFAULT_SETTINGS, ...patch } };
}

async function diagnose(file: string, targets: readonly string[], patch: Partial<Settings> = {}) {
  const doc: AnalyzedDocument = await openFixture(loadFixture(file));
  const ctx = withSettings(featureContext(targets), patch);
  return { doc, ctx, diags: diagnostics(doc, ctx) };
}

/** The diagnostics on the line of a SEC("...") string. */
function onSection(doc: AnalyzedDocument, diags: Diagnostic[], section: string): Diagnostic[] {
  const line = doc.text.split('\n').findIndex((l) => l.includes(`SEC("${section}")`));
  assert.ok(line >= 0, `fixture has no SEC("${section}")`);
  return diags.filter((d) => d.range.start.line === line);
}

function assertWellFormed(d: Diagnostic): void {
  assert.equal(d.source, 'bpf-atlas');
  assert.equal(typeof d.code, 'string');
  assert.ok(d.codeDescription?.href.endsWith(`/docs/diagnostics.md#${d.code}`), d.codeDescription?.href);
  if (d.code === 'unknown') assert.ok(d.severity! >= DiagnosticSeverity.Information, 'unknown is never an error or warning');
}

for (const [label, targets] of [['ubuntu-22.04 + debian-12', ISSUE_TARGETS], ['ubuntu-22.04 + ubuntu-24.04', UBUNTU_TARGETS]] as const) {
  const failing = targets[1];

  describe(`C diagnostics, targets ${label}`, () => {
    it('the bundled atlases have the target kernels', () => requireKernels(targets));

    it('kprobe/blk_account_io_start: an error naming the kernel where it is fully inlined, partial inlining on ubuntu-22.04', async () => {
      const { doc, diags } = await diagnose('check/tools/biosnoop.bpf.c', targets);
      const [d, ...rest] = onSection(doc, diags, 'kprobe/blk_account_io_start');
      assert.equal(rest.length, 0, 'one diagnostic per attach point');
      assertWellFormed(d);
      assert.equal(d.severity, DiagnosticSeverity.Error);
      assert.equal(d.code, 'fully-inlined');
      assert.match(d.message, new RegExp(`cannot attach on ${failing.replace('.', '\\.')} \\(fully inlined`));
      assert.match(d.message, /ubuntu-22\.04 \(partially inlined/);
      // One related line per target kernel, in target order, each starting with its id.
      const perKernel = d.relatedInformation!.filter((r) => targets.some((t) => r.message.startsWith(t)));
      assert.deepEqual(perKernel.map((r) => r.message.split(' ')[0]), [...targets]);
      assert.match(perKernel[0].message, /partially-inlined/);
      assert.match(perKernel[1].message, /fully-inlined/);
      // The real breakage report is cited (data/knowledge/evidence.json).
      assert.ok(d.relatedInformation!.some((r) => /^Reported: iovisor\/bcc#4261 /.test(r.message)));
      // The stable alternative is named: a block tracepoint that exists on both.
      assert.match(d.message, /; (tp_btf|tracepoint)\/(block\/)?block_rq_\w+ works on every target\.$/);
    });

    it('kprobe/finish_task_switch: renamed on every target, with the suffixed symbol', async () => {
      const { doc, diags } = await diagnose('check/tools/offcputime.bpf.c', targets);
      const [d] = onSection(doc, diags, 'kprobe/finish_task_switch');
      assertWellFormed(d);
      assert.equal(d.code, 'renamed');
      assert.equal(d.severity, DiagnosticSeverity.Error);
      assert.match(d.message, /only finish_task_switch\.isra\.\d+ exists/);
      for (const t of targets) assert.ok(d.message.includes(t), `names ${t}`);
    });

    it('kprobe/__x64_sys_openat: a hint for ksyscall, nothing louder', async () => {
      const { doc, diags } = await diagnose('check/tools/opensnoop_kprobe.bpf.c', targets);
      const ds = onSection(doc, diags, 'kprobe/__x64_sys_openat');
      const hint = ds.find((d) => d.code === 'prefer-ksyscall');
      assert.ok(hint, JSON.stringify(ds.map((d) => d.code)));
      assertWellFormed(hint);
      assert.equal(hint.severity, DiagnosticSeverity.Hint);
      assert.match(hint.message, /ksyscall\/openat with BPF_KSYSCALL/);
      assert.ok(ds.every((d) => d.severity! >= DiagnosticSeverity.Information));
    });

    it('a misspelt function names the closest real ones', async () => {
      const { doc, diags } = await diagnose('check/tools/biotypo.bpf.c', targets);
      const [d] = onSection(doc, diags, 'kprobe/vfs_raed');
      assertWellFormed(d);
      assert.match(d.message, /[Dd]id you mean vfs_read\b/);
      // Where the atlas knows the name is absent it is an error; where it cannot rule out a
      // module, information. Never a warning about something it does not know.
      assert.ok(d.severity === DiagnosticSeverity.Error ? d.code === 'absent' : d.severity === DiagnosticSeverity.Information);
      assert.ok(doc.text.split('\n')[d.range.start.line].slice(d.range.start.character, d.range.end.character).includes('vfs_raed'));
    });

    it('a tracepoint handler with another event class\'s ctx struct', async () => {
      const { doc, diags } = await diagnose('check/tools/biotypo.bpf.c', targets);
      const d = diags.find((x) => x.code === 'wrong-ctx-type');
      assert.ok(d);
      assertWellFormed(d);
      assert.equal(d.severity, DiagnosticSeverity.Warning);
      assert.match(d.message, /^struct trace_event_raw_sched_switch is not the record of block:block_rq_issue \(it is struct trace_event_raw_block_rq\); field offsets would be wrong\.$/);
      assert.match(doc.text.split('\n')[d.range.start.line], /int handle_issue\(struct trace_event_raw_sched_switch \*ctx\)/);
    });

    it('a record struct whose event class was renamed between the targets', async () => {
      const { doc, diags } = await diagnose('check/tools/biolatency_tp.bpf.c', targets);
      const d = diags.find((x) => x.code === 'wrong-ctx-type');
      assert.ok(d, JSON.stringify(diags.map((x) => x.code)));
      assert.match(d.message, /^struct trace_event_raw_block_rq_completion is not the record of block:block_rq_complete on ubuntu-22\.04 \(it is struct trace_event_raw_block_rq_complete\); use tp_btf or a CO-RE flavour/);
      assert.ok(!d.message.includes(failing), `the newer target ${failing} has the struct`);
      assert.ok(d.relatedInformation?.some((r) => /named differently across the targets/.test(r.message)), 'the advice in full is in the related information');
      assert.equal(doc.text.split('\n')[d.range.start.line].slice(d.range.start.character, d.range.end.character).trim(), 'struct trace_event_raw_block_rq_completion *');
    });

    it('ctx->reason of skb:kfree_skb is missing on ubuntu-22.04 only (added in 5.17)', async () => {
      const { doc, diags } = await diagnose('check/tools/tcpdrop.bpf.c', targets);
      const reason = diags.filter((d) => doc.text.split('\n')[d.range.start.line].slice(d.range.start.character, d.range.end.character) === 'reason');
      assert.equal(reason.length, 1);
      assertWellFormed(reason[0]);
      assert.equal(reason[0].code, 'fields-changed');
      assert.match(reason[0].message, /no field `reason` on ubuntu-22\.04: guard the read with bpf_core_field_exists\(ctx->reason\)/);
      assert.ok(!reason[0].message.includes(failing), 'the newer kernel has the field');
      // Fields every target has are not reported.
      assert.ok(!diags.some((d) => /`(protocol|location)`/.test(d.message)));
    });

    it('kprobe/tcp_drop fails on ubuntu-22.04 (inlined) and names the skb tracepoint', async () => {
      const { doc, diags } = await diagnose('check/tools/tcpdrop.bpf.c', targets);
      const [d] = onSection(doc, diags, 'kprobe/tcp_drop');
      assert.equal(d.severity, DiagnosticSeverity.Error);
      assert.match(d.message, /ubuntu-22\.04 \(fully inlined/);
      assert.match(d.message, /kfree_skb/);
    });

    it('a tp_btf handler written for older arguments is flagged at the extra parameter', async () => {
      const { doc, diags } = await diagnose('check/tools/biostacks_old.bpf.c', targets);
      const d = diags.find((x) => x.code === 'handler-args' || x.code === 'args-changed');
      assert.ok(d, JSON.stringify(diags.map((x) => x.code)));
      assertWellFormed(d);
      assert.equal(d.severity, DiagnosticSeverity.Warning);
      assert.match(doc.text.split('\n')[d.range.start.line].slice(d.range.start.character, d.range.end.character), /struct request \*rq/);
      assert.match(d.message, /the hook passes 1 argument\b/);
      assert.ok(d.relatedInformation?.some((r) => /the hook passes 1 argument \(rq\)/.test(r.message)), JSON.stringify(d.relatedInformation));
    });

    it('a program type newer than a target kernel: kprobe.multi on 5.15', async () => {
      const { doc, diags } = await diagnose('check/tools/vfsstat_multi.bpf.c', targets);
      const all = onSection(doc, diags, 'kprobe.multi/vfs_*');
      // Beside the refusal, the information on what the pattern matches on each target.
      const counts = all.filter((x) => x.code === 'pattern-matches');
      assert.equal(counts.length, 1, JSON.stringify(all.map((x) => x.message)));
      const perKernel = targets.map((t) => `${t.replace(/\./g, '\\.')} \\(\\d+\\.\\d+\\)`).join(', \\d+ on ');
      assert.match(counts[0].message, new RegExp(`^kprobe\\.multi/vfs_\\* matches \\d+ functions on ${perKernel}`));
      const [d, ...rest] = all.filter((x) => x.code !== 'pattern-matches');
      assert.equal(rest.length, 0, JSON.stringify(rest.map((x) => x.message)));
      assertWellFormed(d);
      assert.equal(d.code, 'kernel-too-old');
      assert.equal(d.severity, DiagnosticSeverity.Error);
      assert.equal(d.message, 'kprobe.multi programs need Linux 5.18 or newer, so ubuntu-22.04 (5.15) cannot load them.');
    });

    it('handler macros of another program type', async () => {
      const { doc, diags } = await diagnose('check/tools/macro_mixup.bpf.c', targets);
      const macro = diags.filter((d) => d.code === 'handler-macro');
      assert.deepEqual(macro.map((d) => doc.text.split('\n')[d.range.start.line].slice(d.range.start.character, d.range.end.character)), ['BPF_KPROBE', 'BPF_KPROBE', 'BPF_PROG']);
      for (const d of macro) {
        assertWellFormed(d);
        assert.equal(d.severity, DiagnosticSeverity.Warning);
      }
      assert.match(macro[0].message, /a fentry program gets a u64 array of BTF-typed arguments: use BPF_PROG\.$/);
      assert.match(macro[1].message, /use BPF_KSYSCALL\.$/);
      assert.match(macro[2].message, /a kprobe program gets struct pt_regs: use BPF_KPROBE\.$/);
    });

    it('vfs_unlink\'s first parameter changed type in 6.3: the handler written for 6.3+ is flagged', async () => {
      const { doc, diags } = await diagnose('check/tools/macro_mixup.bpf.c', targets);
      // Wrong everywhere when no target is 6.3+ (handler-args), wrong on the older ones otherwise.
      const d = diags.find((x) => x.code === (failing === 'ubuntu-24.04' ? 'signature-changed' : 'handler-args'));
      assert.ok(d, JSON.stringify(diags.map((x) => x.code)));
      assert.equal(doc.text.split('\n')[d.range.start.line].slice(d.range.start.character, d.range.end.character), 'struct mnt_idmap *idmap');
      assert.ok(!d.message.includes(failing === 'ubuntu-24.04' ? 'on ubuntu-24.04' : '\u0000'));
      assert.match(d.message, failing === 'ubuntu-24.04' ? /on ubuntu-22\.04 argument 1 is `struct user_namespace \*mnt_userns`/ : /on any target: argument 1 is `struct user_namespace \*mnt_userns`/);
    });

    it('well-formed programs on stable hooks get no error or warning', async () => {
      for (const file of ['check/tools/runqlat.bpf.c', 'check/tools/opensnoop.bpf.c']) {
        const { diags } = await diagnose(file, targets);
        const loud = diags.filter((d) => d.severity! <= DiagnosticSeverity.Warning);
        assert.deepEqual(loud.map((d) => `${d.code}: ${d.message}`), [], file);
      }
    });

    it('no false alarms: load-time targets, placeholders, networking sections', async () => {
      for (const file of ['check/tools/fsslower.bpf.c', 'check/tools/xdp_counter.bpf.c']) {
        const { diags } = await diagnose(file, targets);
        assert.deepEqual(diags.map((d) => `${d.code}: ${d.message}`), [], file);
      }
    });

    it('bpf-atlas-ignore silences a program, or only the named hazards', async () => {
      const { doc, diags } = await diagnose('check/tools/suppressed.bpf.c', targets);
      assert.deepEqual(onSection(doc, diags, 'kprobe/finish_task_switch'), []);
      const named = onSection(doc, diags, 'kprobe/blk_account_io_start');
      assert.ok(named.every((d) => d.severity! > DiagnosticSeverity.Warning), JSON.stringify(named.map((d) => d.code)));
      // Without the comment the same program is an error (the comment is what changes it).
      const { doc: plain, diags: plainDiags } = await diagnose('check/tools/biosnoop.bpf.c', targets);
      assert.equal(onSection(plain, plainDiags, 'kprobe/blk_account_io_start')[0].severity, DiagnosticSeverity.Error);
    });

    it('settings: severity overrides and hint toggles', async () => {
      const off = await diagnose('check/tools/biosnoop.bpf.c', targets, { severity: { 'fully-inlined': 'off' } });
      const [d] = onSection(off.doc, off.diags, 'kprobe/blk_account_io_start');
      assert.equal(d.code, 'partially-inlined', 'with fully-inlined off the warning remains');
      assert.ok(!d.message.includes('fully inlined'));
      const info = await diagnose('check/tools/biosnoop.bpf.c', targets, { severity: { 'fully-inlined': 'information', 'partially-inlined': 'information' } });
      assert.equal(onSection(info.doc, info.diags, 'kprobe/blk_account_io_start')[0].severity, DiagnosticSeverity.Information);

      const hinted = await diagnose('check/tools/biosnoop.bpf.c', targets);
      const tpHint = onSection(hinted.doc, hinted.diags, 'kprobe/blk_account_io_done').find((x) => x.code === 'prefer-tracepoint');
      assert.ok(tpHint, 'blk_account_io_done has block_rq_complete everywhere');
      assert.equal(tpHint.severity, DiagnosticSeverity.Hint);
      const noHints = await diagnose('check/tools/biosnoop.bpf.c', targets, { hints: { preferTracepoints: false, preferFentry: true } });
      assert.ok(!noHints.diags.some((x) => x.code === 'prefer-tracepoint'));
    });

    it('unknown facts are never errors or warnings', async () => {
      for (const file of ['check/tools/biosnoop.bpf.c', 'check/tools/tcpdrop.bpf.c', 'check/tools/biotypo.bpf.c', 'check/tools/offcputime.bpf.c']) {
        const { diags } = await diagnose(file, targets);
        for (const d of diags) assertWellFormed(d);
      }
    });
  });
}

describe('C diagnostics on broken code', () => {
  it('half-typed programs give diagnostics for what is complete and never throw', async () => {
    const { doc, diags } = await diagnose('check/broken/half_typed.bpf.c', UBUNTU_TARGETS);
    for (const d of diags) assertWellFormed(d);
    assert.ok(onSection(doc, diags, 'kprobe/blk_account_io_start').some((d) => d.severity === DiagnosticSeverity.Error));
  });

  it('no target kernels: nothing to say', async () => {
    const { diags } = await diagnose('check/tools/biosnoop.bpf.c', []);
    assert.deepEqual(diags, []);
  });
});
