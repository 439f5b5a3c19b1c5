// libbpf C quick fixes over the bundled atlases: each fix is applied to the real-style fixture and
// the result is analysed again, so a test passes only when the rewritten program is what an
// author would write and the diagnostic it fixed is gone.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DiagnosticSeverity, type CodeAction, type Diagnostic, type TextEdit } from 'vscode-languageserver';
import { codeActions } from '../../server/src/features/codeActions';
import { diagnostics } from '../../server/src/features/diagnostics';
import type { AnalyzedDocument } from '../../server/src/syntax/documents';
import { applyEdits, featureContext, loadFixture, openFixture, stripMarkers } from './fixture';

const TARGET_SETS = [['ubuntu-22.04', 'debian-12'], ['ubuntu-22.04', 'ubuntu-24.04']] as const;

/** Fails clearly when the bundled atlases lack a target kernel. */
function requireKernels(targets: readonly string[]): void {
  const ids = featureContext([]).atlas.list().map((m) => m.id);
  const missing = targets.filter((t) => !ids.includes(t));
  assert.deepEqual(missing, [], `data/atlas lacks ${missing.join(', ')}: rebuild the bundled atlases`);
}

describe('C quick fixes: the bundled atlases', () => {
  it('have every kernel these tests target', () => requireKernels(['ubuntu-22.04', 'ubuntu-24.04', 'debian-12', 'debian-13']));
});

function lineOf(doc: AnalyzedDocument, needle: string): number {
  const line = doc.text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(line >= 0, `fixture has no ${needle}`);
  return line;
}

async function actionsFor(file: string, targets: readonly string[], sectionNeedle: string) {
  const doc = await openFixture(loadFixture(file));
  const ctx = featureContext(targets);
  const line = lineOf(doc, sectionNeedle);
  const diags = diagnostics(doc, ctx).filter((d) => d.range.start.line === line);
  assert.ok(diags.length, `no diagnostic on ${sectionNeedle}`);
  const actions = codeActions(doc, diags[0].range, diags, ctx);
  return { doc, ctx, diags, actions };
}

function edited(doc: AnalyzedDocument, action: CodeAction): string {
  const edits = action.edit?.changes?.[doc.uri];
  assert.ok(edits?.length, `action "${action.title}" has edits for the document`);
  return applyEdits(doc.text, edits);
}

async function reanalyse(name: string, text: string, targets: readonly string[]): Promise<{ doc: AnalyzedDocument; diags: Diagnostic[] }> {
  const doc = await openFixture(stripMarkers(text, name));
  return { doc, diags: diagnostics(doc, featureContext(targets)) };
}

function preferred(actions: CodeAction[]): CodeAction {
  const p = actions.filter((a) => a.isPreferred);
  assert.equal(p.length, 1, `exactly one preferred fix among: ${actions.map((a) => a.title).join(' | ')}`);
  assert.equal(p[0].kind, 'quickfix');
  return p[0];
}

for (const targets of TARGET_SETS) {
  describe(`C quick fixes, targets ${targets.join(' + ')}`, () => {
    it('kprobe/blk_account_io_start → a block tracepoint on every target, handler rewritten, body kept', async () => {
      const { doc, actions, diags } = await actionsFor('check/tools/biosnoop.bpf.c', targets, 'SEC("kprobe/blk_account_io_start")');
      const fix = preferred(actions);
      assert.match(fix.title, /^Use (tp_btf|tracepoint)\/(block\/)?block_rq_\w+ instead/);
      assert.deepEqual(fix.diagnostics, diags);
      const text = edited(doc, fix);
      const section = /Use (\S+) instead/.exec(fix.title)![1];
      assert.ok(text.includes(`SEC("${section}")`), text);
      if (section.startsWith('tp_btf/')) assert.match(text, /int BPF_PROG\(account_start, struct request \*rq\)/);
      else assert.match(text, /int account_start\(struct trace_event_raw_block_rq \*ctx\)/);
      // The body is untouched apart from marker comments.
      const body = (t: string) => t.slice(t.indexOf('struct start_info info = {};'), t.indexOf('SEC("kprobe/blk_account_io_done")')).replace(/ \/\* bpf-atlas: [^*]*\*\//g, '');
      assert.equal(body(text), body(doc.text));
      // Round trip: the program now attaches on every target.
      const again = await reanalyse('check/tools/biosnoop.fixed.bpf.c', text, targets);
      const line = again.doc.text.split('\n').findIndex((l) => l.includes(`SEC("${section}")`));
      assert.deepEqual(again.diags.filter((d) => d.range.start.line === line && d.severity! <= DiagnosticSeverity.Warning).map((d) => d.message), []);
    });

    it('a tracepoint rewrite marks the body lines that use the old kprobe arguments', async () => {
      const { doc, actions } = await actionsFor('check/tools/biosnoop.bpf.c', targets, 'SEC("kprobe/blk_account_io_start")');
      const toBio = actions.find((a) => a.title.includes('block_bio_queue'));
      assert.ok(toBio, actions.map((a) => a.title).join(' | '));
      const text = edited(doc, toBio);
      const marked = text.split('\n').filter((l) => l.includes('/* bpf-atlas:'));
      assert.equal(marked.length, 1, marked.join('\n'));
      assert.match(marked[0], /bpf_map_update_elem\(&starts, &rq, &info, BPF_ANY\); \/\* bpf-atlas: rq came from kprobe\/blk_account_io_start; \S+block_bio_queue passes/);
    });

    it('kprobe/finish_task_switch → the suffixed symbol (preferred), or sched_switch', async () => {
      const { doc, actions } = await actionsFor('check/tools/offcputime.bpf.c', targets, 'SEC("kprobe/finish_task_switch")');
      const fix = preferred(actions);
      assert.match(fix.title, /^Attach to finish_task_switch\.isra\.\d+ /);
      const text = edited(doc, fix);
      assert.match(text, /SEC\("kprobe\/finish_task_switch\.isra\.\d+"\)\nint BPF_KPROBE\(oncpu, struct task_struct \*prev\)/);
      const again = await reanalyse('check/tools/offcputime.fixed.bpf.c', text, targets);
      assert.ok(!again.diags.some((d) => d.severity === DiagnosticSeverity.Error), again.diags.map((d) => d.message).join('\n'));
      assert.ok(actions.some((a) => /sched_switch/.test(a.title)), 'the tracepoint is offered too');
    });

    it('kprobe/__x64_sys_openat → ksyscall/openat with BPF_KSYSCALL', async () => {
      const { doc, actions } = await actionsFor('check/tools/opensnoop_kprobe.bpf.c', targets, 'SEC("kprobe/__x64_sys_openat")');
      // Two hints apply here (prefer-ksyscall, and prefer-tracepoint now that every target has the
      // syscall events); each diagnostic has its own preferred fix.
      const fix = actions.find((a) => a.isPreferred && /ksyscall\/openat/.test(a.title));
      assert.ok(fix, actions.map((a) => a.title).join(' | '));
      assert.match(fix.title, /ksyscall\/openat with BPF_KSYSCALL/);
      const text = edited(doc, fix);
      assert.ok(text.includes('SEC("ksyscall/openat")'));
      assert.match(text, /int BPF_KSYSCALL\(openat_entry[,\s/]/);
      assert.ok(!/BPF_KSYSCALL\(openat_entry[^)]*struct pt_regs/.test(text), 'the pt_regs parameter is gone');
      // The PT_REGS read of the old wrapper argument is marked for the author.
      assert.match(text, /PT_REGS_PARM2_CORE\(regs\);.*\/\* bpf-atlas: regs, PT_REGS_\* came from kprobe\/__x64_sys_openat/);
    });

    it('a misspelt target → the closest names on every target', async () => {
      const { doc, actions } = await actionsFor('check/tools/biotypo.bpf.c', targets, 'SEC("kprobe/vfs_raed")');
      const fix = preferred(actions);
      assert.equal(fix.title.split(' (')[0], 'Change to vfs_read');
      assert.ok(edited(doc, fix).includes('SEC("kprobe/vfs_read")'));
      const renames = actions.filter((a) => a.title.startsWith('Change to '));
      assert.ok(renames.length >= 2 && renames.length <= 3);
    });

    it('a wrong ctx struct → the event class\'s record struct', async () => {
      const { doc, actions } = await actionsFor('check/tools/biotypo.bpf.c', targets, 'int handle_issue(');
      const fix = preferred(actions);
      const text = edited(doc, fix);
      assert.ok(text.includes('int handle_issue(struct trace_event_raw_block_rq *ctx)'), text);
    });

    it('kprobe/tcp_drop → skb tracepoint; no fix offered for unrelated ranges', async () => {
      const { doc, ctx, actions } = await actionsFor('check/tools/tcpdrop.bpf.c', targets, 'SEC("kprobe/tcp_drop")');
      assert.match(preferred(actions).title, /kfree_skb/);
      const far = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };
      assert.deepEqual(codeActions(doc, far, [], ctx), []);
    });
  });
}

describe('C quick fixes: suppression', () => {
  it('offers a bpf-atlas-ignore comment for the reported codes, which silences them', async () => {
    const targets = ['ubuntu-22.04', 'ubuntu-24.04'];
    const { doc, actions } = await actionsFor('check/tools/offcputime.bpf.c', targets, 'SEC("kprobe/finish_task_switch")');
    const ignore = actions.find((a) => a.title.startsWith('Ignore renamed'));
    assert.ok(ignore, actions.map((a) => a.title).join(' | '));
    assert.ok(!ignore.isPreferred);
    const text = edited(doc, ignore);
    assert.match(text, /\/\/ bpf-atlas-ignore: renamed\nSEC\("kprobe\/finish_task_switch"\)/);
    const again = await reanalyse('check/tools/offcputime.ignored.bpf.c', text, targets);
    assert.ok(!again.diags.some((d) => d.code === 'renamed'));
  });
});

describe('C quick fixes: kprobe → fentry, kretprobe → fexit', () => {
  // The Debian atlases know ftrace sites and BTF for every function, which fentry needs.
  const targets = ['debian-12', 'debian-13'];

  async function fentryAction(needle: string) {
    const doc = await openFixture(loadFixture('check/tools/tcpconnect.bpf.c'));
    const ctx = featureContext(targets);
    const line = lineOf(doc, needle);
    const hint = diagnostics(doc, ctx).find((d) => d.range.start.line === line && d.code === 'prefer-fentry');
    assert.ok(hint, `prefer-fentry on ${needle}`);
    assert.equal(hint.severity, DiagnosticSeverity.Hint);
    return { doc, action: preferred(codeActions(doc, hint.range, [hint], ctx)) };
  }

  it('rewrites the section and BPF_KPROBE into BPF_PROG with the function\'s BTF parameters', async () => {
    const { doc, action } = await fentryAction('SEC("kprobe/tcp_v4_connect")');
    const text = edited(doc, action);
    assert.match(text, /SEC\("fentry\/tcp_v4_connect"\)\nint BPF_PROG\(tcp_v4_connect, struct sock \*sk, struct sockaddr \*uaddr, int addr_len\)/);
    assert.ok(!text.includes('/* bpf-atlas:'), 'sk keeps its name and type: nothing to mark');
  });

  it('a kretprobe becomes fexit with the arguments and the return value last', async () => {
    const { doc, action } = await fentryAction('SEC("kretprobe/tcp_v4_connect")');
    const text = edited(doc, action);
    assert.match(text, /SEC\("fexit\/tcp_v4_connect"\)\nint BPF_PROG\(tcp_v4_connect_ret, struct sock \*sk, struct sockaddr \*uaddr, int addr_len, int ret\)/);
    const again = await reanalyse('check/tools/tcpconnect.fixed.bpf.c', text, targets);
    const line = again.doc.text.split('\n').findIndex((l) => l.includes('SEC("fexit/tcp_v4_connect")'));
    assert.deepEqual(again.diags.filter((d) => d.range.start.line === line).map((d) => d.code), []);
  });
});

describe('C quick fixes: handler macro', () => {
  it('swaps in the macro of the program type and keeps the arguments', async () => {
    const targets = ['ubuntu-22.04', 'debian-12'];
    const doc = await openFixture(loadFixture('check/tools/macro_mixup.bpf.c'));
    const ctx = featureContext(targets);
    const diags = diagnostics(doc, ctx).filter((d) => d.code === 'handler-macro');
    let text = doc.text;
    const all: TextEdit[] = [];
    for (const d of diags) {
      const fix = preferred(codeActions(doc, d.range, [d], ctx));
      all.push(...fix.edit!.changes![doc.uri]);
    }
    text = applyEdits(text, all);
    assert.match(text, /SEC\("fentry\/vfs_write"\)\nint BPF_PROG\(write_entry, struct file \*file, const char \*buf, size_t count\)/);
    assert.match(text, /SEC\("ksyscall\/unlinkat"\)\nint BPF_KSYSCALL\(unlinkat_entry, int dfd, const char \*pathname\)/);
    assert.match(text, /SEC\("kprobe\/vfs_unlink"\)\nint BPF_KPROBE\(unlink_entry, /);
    const again = await reanalyse('check/tools/macro_mixup.fixed.bpf.c', text, targets);
    assert.ok(!again.diags.some((d) => d.code === 'handler-macro'));
  });
});

describe('C quick fixes: a suffixed symbol another build numbers differently', () => {
  it('kprobe/finish_task_switch.isra.1 → the suffixed symbol every target has', async () => {
    const targets = ['ubuntu-22.04', 'debian-12'];
    const { doc, diags, actions } = await actionsFor('check/tools/offcputime_isra.bpf.c', targets, 'SEC("kprobe/finish_task_switch.isra.1")');
    assert.equal(diags[0].code, 'absent');
    const fix = preferred(actions);
    assert.match(fix.title, /^Attach to finish_task_switch\.isra\.0 /);
    assert.ok(edited(doc, fix).includes('SEC("kprobe/finish_task_switch.isra.0")'));
  });
});

describe('C quick fixes: a clone beside the plain symbol', () => {
  it('kprobe/vfs_statfs → kprobe.multi/vfs_statfs*, which also attaches to the clone', async () => {
    // kprobe.multi needs 5.18: both Debian targets have it.
    const targets = ['debian-12', 'debian-13'];
    const { doc, diags, actions } = await actionsFor('check/tools/statfs_clone.bpf.c', targets, 'SEC("kprobe/vfs_statfs")');
    assert.equal(diags[0].code, 'clone');
    assert.equal(diags[0].severity, DiagnosticSeverity.Warning);
    const fix = preferred(actions);
    assert.match(fix.title, /^Use kprobe\.multi\/vfs_statfs\* \(matches debian-12: vfs_statfs\.\S+, vfs_statfs;/);
    const text = edited(doc, fix);
    assert.ok(text.includes('SEC("kprobe.multi/vfs_statfs*")'));
    const again = await reanalyse('check/tools/statfs_clone.fixed.bpf.c', text, targets);
    assert.ok(!again.diags.some((d) => d.code === 'clone'), again.diags.map((d) => d.message).join('\n'));
  });

  it('is not offered where a target is older than 5.18', async () => {
    const { actions } = await actionsFor('check/tools/statfs_clone.bpf.c', ['ubuntu-22.04', 'debian-12'], 'SEC("kprobe/vfs_statfs")');
    assert.ok(!actions.some((a) => a.title.includes('kprobe.multi')), actions.map((a) => a.title).join(' | '));
  });
});
