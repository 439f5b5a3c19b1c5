// BCC diagnostics on tools written in the style of the bcc tools, over the bundled atlases: the
// same messages as libbpf C, landing in the Python file, only on kernels where the tool attaches.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompletionItemTag, type CompletionItem } from 'vscode-languageserver';
import { diagnostics } from '../../../server/src/features/diagnostics';
import { hover } from '../../../server/src/features/hover';
import { completion } from '../../../server/src/features/completion';
import { resolveCompletion } from '../../../server/src/features/completionResolve';
import { LineMap } from '../../../server/src/syntax/cModel';
import { featureContext, loadFixture, openFixture } from '../fixture';

async function run(name: string, targets: string[]) {
  const f = loadFixture(`bcc/${name}`);
  const doc = await openFixture(f);
  const lines = new LineMap(f.text);
  const ds = diagnostics(doc, featureContext(targets));
  return ds.map((d) => ({ code: d.code, severity: d.severity, text: f.text.slice(lines.offsetAt(d.range.start), lines.offsetAt(d.range.end)), message: d.message }));
}

describe('bcc diagnostics', () => {
  it('iolatency on debian-12 and ubuntu-22.04: the unconditional kprobe, tcp_drop and a missing args field', async () => {
    const ds = await run('iolatency.py', ['debian-12', 'ubuntu-22.04']);
    const on = (text: string) => ds.filter((d) => d.text === text);
    const start = on('blk_account_io_start');
    assert.equal(start.length, 1);
    assert.equal(start[0].severity, 1);
    assert.match(start[0].message, /kprobe\/blk_account_io_start cannot attach on debian-12 \(fully inlined/);
    assert.match(start[0].message, /ubuntu-22\.04/);
    const drop = on('tcp_drop');
    assert.equal(drop.length, 1);
    assert.match(drop[0].message, /tcp_drop cannot attach on/);
    // bcc has no tp_btf: the stable alternative is offered as the classic trace event of the same
    // tracepoint (TRACEPOINT_PROBE), since it attaches on every target; never as tp_btf.
    assert.match(drop[0].message, /; tracepoint\/skb\/kfree_skb works on every target\.$/);
    assert.doesNotMatch(drop[0].message, /tp_btf/);
    const field = on('no_such_field');
    assert.equal(field.length, 1);
    assert.equal(field[0].code, 'field-missing');
    assert.match(field[0].message, /sched:sched_switch has no field `no_such_field`/);
    // Not flagged: the guarded attach, the .isra regex, the syscall tracepoint, the syscall kprobe
    // and a field the record has.
    for (const quiet of ['blk_account_io_done', String.raw`^finish_task_switch$|^finish_task_switch\.isra\.\d$`, 'syscalls:sys_enter_openat', 'execve', 'prev_pid', 'filename']) {
      assert.deepEqual(on(quiet).filter((d) => d.severity! <= 2), [], quiet);
    }
  });

  it('runtime-chosen attaches are judged only where the tool makes them', async () => {
    // schedlat's kprobes run only without raw tracepoint support: never on these kernels.
    const ds = await run('schedlat.py', ['debian-12', 'ubuntu-22.04', 'ubuntu-18.04']);
    assert.deepEqual(ds.filter((d) => d.severity! <= 2), []);
    // biostart's kprobes behind get_kprobe_functions are attached only where they exist.
    const bio = await run('biostart.py', ['debian-11', 'debian-12', 'debian-13', 'ubuntu-22.04']);
    assert.deepEqual(bio.filter((d) => d.severity! <= 1), []);
  });

  it('a Python file that does not import bcc gets nothing', async () => {
    const doc = await openFixture({ name: 'plain.py', text: 'import os\nkprobe__tcp_drop = 1\n', markers: [], named: new Map() });
    assert.equal(doc.bcc, undefined);
    assert.deepEqual(diagnostics(doc, featureContext(['debian-12'])), []);
  });
});

describe('bcc hover', () => {
  it('on an event string: the same attach point content as a libbpf section', async () => {
    const f = loadFixture('bcc/iolatency.py');
    const doc = await openFixture(f);
    const lines = new LineMap(f.text);
    const at = lines.positionAt(f.text.indexOf('blk_account_io_start"') + 3);
    const h = hover(doc, at, featureContext(['debian-12', 'ubuntu-22.04']));
    assert.ok(h);
    const value = (h.contents as { value: string }).value;
    assert.match(value, /\*\*kprobe\*\* `blk_account_io_start`/);
    assert.match(value, /debian-12/);
    assert.equal(hover(doc, lines.positionAt(f.text.indexOf('argparse.ArgumentParser')), featureContext(['debian-12'])), null);
  });
});

describe('bcc completion', () => {
  async function complete(text: string, targets = ['debian-12']) {
    const at = text.indexOf('|');
    const clean = text.replace('|', '');
    const doc = await openFixture({ name: 'typing.py', text: clean, markers: [], named: new Map() });
    return completion(doc, new LineMap(clean).positionAt(at), featureContext(targets)).items.map((i) => i.label);
  }

  it('kernel functions in event="...", tracepoints in tp="...", fields after args->', async () => {
    const head = 'from bcc import BPF\nb = BPF(text="")\n';
    assert.ok((await complete(`${head}b.attach_kprobe(event="blk_account_io_|`)).includes('blk_account_io_done'));
    assert.ok((await complete(`${head}b.attach_tracepoint(tp="sch|`)).includes('sched'));
    assert.ok((await complete(`${head}b.attach_tracepoint(tp="sched:sched_sw|`)).includes('sched_switch'));
    assert.ok((await complete(`${head}if BPF.tracepoint_exists("block", "block_io|`, ['debian-13'])).includes('block_io_start'));
    const fields = await complete('from bcc import BPF\nb = BPF(text="""\nTRACEPOINT_PROBE(sched, sched_switch)\n{\n    u32 p = args->prev_p|;\n    return 0;\n}\n""")\n');
    assert.deepEqual(fields, ['prev_pid', 'prev_prio']);
    assert.deepEqual(await complete('import os\nx = "blk_|"\n'), []);
  });

  async function items(text: string, targets: string[]) {
    const at = text.indexOf('|');
    const clean = text.replace('|', '');
    const doc = await openFixture({ name: 'typing.py', text: clean, markers: [], named: new Map() });
    const pos = new LineMap(clean).positionAt(at);
    return { pos, items: completion(doc, pos, featureContext(targets)).items };
  }
  const item = (list: CompletionItem[], label: string) => {
    const found = list.find((i) => i.label === label);
    assert.ok(found, `no ${label} among ${list.slice(0, 20).map((i) => i.label).join(', ')}`);
    return found;
  };
  const TWO = ['debian-12', 'ubuntu-22.04'];
  const C_HEAD = 'from bcc import BPF\nb = BPF(text="""\n';
  /** The rest of the tool: the cursor is inside a closed string, as when a tool is edited. */
  const C_TAIL = '\n""")\n';

  it('each kernel name says on which targets it attaches: event="..." and kprobe__ names alike', async () => {
    const event = await items('from bcc import BPF\nb = BPF(text="")\nb.attach_kprobe(event="blk_account_io_st|', TWO);
    const inlined = item(event.items, 'blk_account_io_start');
    // Fully inlined on debian-12: not on every target, marked, and the documentation (given by
    // completionItem/resolve, as for every target item) names the kernel.
    assert.match(inlined.labelDetails!.description!, /^[01]\/2 targets · ⚠/);
    assert.deepEqual(inlined.tags, [CompletionItemTag.Deprecated]);
    const shown = resolveCompletion(inlined, featureContext(TWO));
    assert.match((shown.documentation as { value: string }).value, /^- ❌ \*\*debian-12\*\*.*: fails/m);
    const auto = await items(`${C_HEAD}int kprobe__tcp_dr|${C_TAIL}`, TWO);
    const drop = item(auto.items, 'tcp_drop');
    assert.match(drop.labelDetails!.description!, /^0\/2 targets · ⚠/);
    assert.deepEqual((drop.textEdit as { range: unknown }).range, { start: { line: 2, character: 'int kprobe__'.length }, end: auto.pos });
    const vfs = item((await items(`${C_HEAD}int kretprobe__vfs_re|${C_TAIL}`, TWO)).items, 'vfs_read');
    assert.equal(vfs.labelDetails!.description, 'all 2 targets');
  });

  it('probe macro arguments and tracepoint__ names in the C text', async () => {
    assert.ok(item((await items(`${C_HEAD}TRACEPOINT_PROBE(sch|${C_TAIL}`, TWO)).items, 'sched'));
    const ev = await items(`${C_HEAD}TRACEPOINT_PROBE(sched, sched_sw|${C_TAIL}`, TWO);
    assert.deepEqual((item(ev.items, 'sched_switch').textEdit as { range: unknown }).range, { start: { line: 2, character: 'TRACEPOINT_PROBE(sched, '.length }, end: ev.pos });
    const named = await items(`${C_HEAD}int tracepoint__sched__sched_sw|${C_TAIL}`, TWO);
    assert.deepEqual((item(named.items, 'sched_switch').textEdit as { range: unknown }).range, { start: { line: 2, character: 'int tracepoint__sched__'.length }, end: named.pos });
    const sys = item((await items(`${C_HEAD}int tracepoint__sch|${C_TAIL}`, TWO)).items, 'sched');
    assert.equal((sys.textEdit as { newText: string }).newText, 'sched__');
    assert.ok(item((await items(`${C_HEAD}RAW_TRACEPOINT_PROBE(sched_sw|${C_TAIL}`, TWO)).items, 'sched_switch'));
    assert.ok(item((await items(`${C_HEAD}KFUNC_PROBE(vfs_rea|${C_TAIL}`, TWO)).items, 'vfs_read'));
    // Not a hook slot: the body of a function.
    assert.deepEqual((await items(`${C_HEAD}int kprobe__vfs_read(struct pt_regs *ctx)\n{\n    int kprobe = 0;\n    kpro|${C_TAIL}`, TWO)).items, []);
  });
});
