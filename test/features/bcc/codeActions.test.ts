// BCC quick fixes over the bundled atlases: each fix is applied to a bcc-style tool and the result
// is analysed again, so a test passes only when the rewritten tool is what an author would write
// (Python and C both) and the diagnostic it answered is gone, with nothing new in its place.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CodeAction, Diagnostic } from 'vscode-languageserver';
import { codeActions } from '../../../server/src/features/codeActions';
import { diagnostics } from '../../../server/src/features/diagnostics';
import type { AnalyzedDocument } from '../../../server/src/syntax/documents';
import { applyEdits, featureContext, loadFixture, openFixture, stripMarkers } from '../fixture';

const DEBIAN_UBUNTU = ['debian-12', 'ubuntu-22.04'];

async function open(name: string, text?: string): Promise<AnalyzedDocument> {
  return openFixture(text === undefined ? loadFixture(name) : stripMarkers(text, name));
}

/** Errors and warnings (what a fix must leave none of). */
function problems(doc: AnalyzedDocument, targets: readonly string[]): Diagnostic[] {
  return diagnostics(doc, featureContext(targets)).filter((d) => d.severity! <= 2);
}

async function fixesFor(doc: AnalyzedDocument, targets: readonly string[], needle: string) {
  const line = doc.text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(line >= 0, `no ${needle}`);
  const ctx = featureContext(targets);
  const diags = diagnostics(doc, ctx).filter((d) => d.range.start.line === line);
  assert.ok(diags.length, `no diagnostic on line ${line + 1} (${needle})`);
  return { diags, actions: codeActions(doc, diags[0].range, diags, ctx) };
}

function preferred(actions: CodeAction[]): CodeAction {
  const p = actions.filter((a) => a.isPreferred);
  assert.equal(p.length, 1, `one preferred fix among: ${actions.map((a) => a.title).join(' | ')}`);
  assert.equal(p[0].kind, 'quickfix');
  return p[0];
}

function byTitle(actions: CodeAction[], re: RegExp): CodeAction {
  const a = actions.find((x) => re.test(x.title));
  assert.ok(a, `no fix matching ${re} among: ${actions.map((x) => x.title).join(' | ')}`);
  return a;
}

/** Applies the fix and analyses the result as a new document. */
async function applied(doc: AnalyzedDocument, action: CodeAction, name: string): Promise<AnalyzedDocument> {
  const edits = action.edit?.changes?.[doc.uri];
  assert.ok(edits?.length, `"${action.title}" edits the document`);
  return open(name, applyEdits(doc.text, edits));
}

describe('bcc quick fixes: kprobe → the stable tracepoint', () => {
  it('attach_kprobe(event=...) becomes attach_tracepoint(tp="block:...") with a tracepoint__ handler; the body gets a marker', async () => {
    const doc = await open('bcc/fixes/blkstart.py');
    const { diags, actions } = await fixesFor(doc, DEBIAN_UBUNTU, 'event="blk_account_io_start"');
    assert.equal(diags[0].code, 'fully-inlined');
    const fix = preferred(actions);
    const m = /^Use attach_tracepoint\(tp="block:(block_\w+)"\) instead \(works on every target\)$/.exec(fix.title);
    assert.ok(m, fix.title);
    assert.deepEqual(fix.diagnostics, diags);
    const after = await applied(doc, fix, 'blkstart-fixed.py');
    assert.match(after.text, new RegExp(`b\\.attach_tracepoint\\(tp="block:${m[1]}", fn_name="trace_start"\\)`));
    assert.match(after.text, new RegExp(`int trace_start\\(struct tracepoint__block__${m[1]} \\*args\\)`));
    // The body's kprobe argument is not guessed at: its line says what to read instead.
    const marked = after.text.split('\n').find((l) => l.includes('req->__data_len'))!;
    assert.match(marked, new RegExp(`/\\* bpf-atlas: req came from kprobe blk_account_io_start; the tracepoint passes args, the block:${m[1]} record \\(args->\\w+`));
    assert.doesNotMatch(after.text, /attach_kprobe/);
    assert.deepEqual(problems(after, DEBIAN_UBUNTU), []);
    // The model reads the rewritten tool as a tracepoint with its handler.
    const ap = after.bcc!.attachPoints.find((p) => p.kind === 'tracepoint')!;
    assert.deepEqual(ap.target, { system: 'block', name: m[1] });
    assert.equal(ap.handlerFunction?.params[0].type, `struct tracepoint__block__${m[1]} *`);
  });

  it('a kprobe__ function becomes TRACEPOINT_PROBE(skb, kfree_skb); every stale argument is marked', async () => {
    const doc = await open('bcc/fixes/skbdrop.py');
    const { actions } = await fixesFor(doc, DEBIAN_UBUNTU, 'kprobe__tcp_drop');
    const fix = preferred(actions);
    assert.equal(fix.title, 'Use TRACEPOINT_PROBE(skb, kfree_skb) instead (works on every target)');
    const after = await applied(doc, fix, 'skbdrop-fixed.py');
    assert.match(after.text, /\nTRACEPOINT_PROBE\(skb, kfree_skb\)\n\{/);
    assert.doesNotMatch(after.text, /kprobe__tcp_drop/);
    assert.match(after.text.split('\n').find((l) => l.includes('skc_family'))!, /\/\* bpf-atlas: sk came from kprobe tcp_drop; .*args->skbaddr/);
    assert.deepEqual(problems(after, DEBIAN_UBUNTU), []);
    assert.ok(after.bcc!.attachPoints.some((p) => p.method === 'TRACEPOINT_PROBE' && p.target?.name === 'kfree_skb'));
  });

  it('positional arguments are passed by keyword in the rewritten call (bcc orders the parameters differently)', async () => {
    const text = 'from bcc import BPF\nb = BPF(text="""\nint trace_start(struct pt_regs *ctx, struct request *req)\n{\n    return 0;\n}\n""")\nb.attach_kprobe("blk_account_io_start", 0, "trace_start")\n';
    const doc = await open('positional.py', text);
    const { actions } = await fixesFor(doc, DEBIAN_UBUNTU, 'attach_kprobe');
    const after = await applied(doc, preferred(actions), 'positional-fixed.py');
    assert.match(after.text, /\nb\.attach_tracepoint\(tp="block:block_\w+", fn_name="trace_start"\)\n/);
    assert.deepEqual(problems(after, DEBIAN_UBUNTU), []);
  });

  it('no rewrite of a handler that another attach uses, or of C text a .replace() writes elsewhere', async () => {
    const shared = 'from bcc import BPF\nb = BPF(text="""\nint trace_start(struct pt_regs *ctx, struct request *req)\n{\n    return 0;\n}\n""")\n'
      + 'b.attach_kprobe(event="blk_account_io_start", fn_name="trace_start")\nb.attach_kprobe(event="blk_mq_start_request", fn_name="trace_start")\n';
    const one = await fixesFor(await open('shared.py', shared), DEBIAN_UBUNTU, 'blk_account_io_start');
    assert.deepEqual(one.actions.filter((a) => /tracepoint/.test(a.title)).map((a) => a.title), []);
    const replaced = 'from bcc import BPF\ntext = """\nint kprobe__NAME(struct pt_regs *ctx)\n{\n    return 0;\n}\n"""\nb = BPF(text=text.replace("NAME", "tcp_drop"))\n';
    const doc = await open('replaced.py', replaced);
    const ctx = featureContext(DEBIAN_UBUNTU);
    const diags = diagnostics(doc, ctx).filter((d) => d.severity === 1);
    assert.equal(diags.length, 1, JSON.stringify(diags));
    assert.deepEqual(codeActions(doc, diags[0].range, diags, ctx).filter((a) => /TRACEPOINT_PROBE/.test(a.title)).map((a) => a.title), []);
  });
});

describe('bcc quick fixes: renamed functions and compiler clones', () => {
  it('event="finish_task_switch" → an event_re built from the names the targets have (plain and .isra)', async () => {
    const targets = ['debian-11', 'debian-12'];
    const doc = await open('bcc/fixes/offcpu.py');
    const { diags, actions } = await fixesFor(doc, targets, 'event="finish_task_switch"');
    assert.equal(diags[0].code, 'renamed');
    const fix = preferred(actions);
    assert.equal(fix.title, String.raw`Use event_re=r'^finish_task_switch$|^finish_task_switch\.isra\.\d+$' (matches debian-11: finish_task_switch; debian-12: finish_task_switch.isra.0)`);
    const after = await applied(doc, fix, 'offcpu-fixed.py');
    assert.ok(after.text.includes(String.raw`b.attach_kprobe(event_re=r'^finish_task_switch$|^finish_task_switch\.isra\.\d+$', fn_name="oncpu")`));
    assert.deepEqual(problems(after, targets), []);
    // The stable tracepoint is offered too.
    const tp = await applied(doc, byTitle(actions, /^Use attach_tracepoint\(tp="sched:sched_switch"\)/), 'offcpu-tp.py');
    assert.match(tp.text.split('\n').find((l) => l.includes('prev->pid'))!, /bpf-atlas: prev came from kprobe finish_task_switch; .*args->prev_pid/);
    assert.deepEqual(problems(tp, targets), []);
  });

  it('where every target has the same clone, the exact symbol is preferred and the regex offered', async () => {
    const doc = await open('bcc/fixes/offcpu.py');
    const { actions } = await fixesFor(doc, DEBIAN_UBUNTU, 'event="finish_task_switch"');
    const fix = preferred(actions);
    assert.equal(fix.title, 'Attach to finish_task_switch.isra.0 (the symbol on debian-12, ubuntu-22.04)');
    const after = await applied(doc, fix, 'offcpu-exact.py');
    assert.ok(after.text.includes('b.attach_kprobe(event="finish_task_switch.isra.0", fn_name="oncpu")'));
    assert.deepEqual(problems(after, DEBIAN_UBUNTU), []);
    const regex = await applied(doc, byTitle(actions, /^Use event_re=/), 'offcpu-re.py');
    assert.deepEqual(problems(regex, DEBIAN_UBUNTU), []);
  });

  it('kprobe__finish_task_switch is renamed and attached explicitly with event_re after the BPF object is made', async () => {
    const doc = await open('bcc/fixes/switches.py');
    const { actions } = await fixesFor(doc, DEBIAN_UBUNTU, 'kprobe__finish_task_switch');
    const fix = preferred(actions);
    assert.match(fix.title, /^Attach trace_finish_task_switch with attach_kprobe\(event_re=r'\^finish_task_switch\\\.isra\\\.\\d\+\$'\)/);
    const after = await applied(doc, fix, 'switches-fixed.py');
    assert.match(after.text, /\nint trace_finish_task_switch\(struct pt_regs \*ctx\)\n/);
    assert.match(after.text, /\n"""\)\nb\.attach_kprobe\(event_re=r'\^finish_task_switch\\\.isra\\\.\\d\+\$', fn_name="trace_finish_task_switch"\)\n/);
    assert.deepEqual(problems(after, DEBIAN_UBUNTU), []);
    const ap = after.bcc!.attachPoints.find((p) => p.kind === 'kprobe')!;
    assert.equal(ap.via, 'call');
    assert.equal(ap.handlerFunction?.name, 'trace_finish_task_switch');
    // Nothing else bcc would attach by name is left.
    assert.ok(!after.bcc!.attachPoints.some((p) => p.via === 'auto'));
  });
});

describe('bcc quick fixes: suppression', () => {
  it('# bpf-atlas-ignore above a call, // bpf-atlas-ignore above a C function: the finding is gone', async () => {
    const offcpu = await open('bcc/fixes/offcpu.py');
    const call = byTitle((await fixesFor(offcpu, DEBIAN_UBUNTU, 'event="finish_task_switch"')).actions, /^Ignore renamed/);
    assert.equal(call.isPreferred, undefined);
    const quietCall = await applied(offcpu, call, 'offcpu-ignored.py');
    assert.match(quietCall.text, /\n# bpf-atlas-ignore: renamed\nb\.attach_kprobe/);
    assert.deepEqual(problems(quietCall, DEBIAN_UBUNTU), []);
    const switches = await open('bcc/fixes/switches.py');
    const c = byTitle((await fixesFor(switches, DEBIAN_UBUNTU, 'kprobe__finish_task_switch')).actions, /^Ignore renamed/);
    const quietC = await applied(switches, c, 'switches-ignored.py');
    assert.match(quietC.text, /\n\/\/ bpf-atlas-ignore: renamed\nint kprobe__finish_task_switch/);
    assert.deepEqual(problems(quietC, DEBIAN_UBUNTU), []);
  });

  it('a record field that is missing gets only the suppression', async () => {
    const doc = await open('bcc/iolatency.py');
    const { diags, actions } = await fixesFor(doc, DEBIAN_UBUNTU, 'args->no_such_field');
    assert.equal(diags[0].code, 'field-missing');
    assert.deepEqual(actions.map((a) => a.title), ['Ignore field-missing for this attach (// bpf-atlas-ignore: field-missing)']);
  });
});
