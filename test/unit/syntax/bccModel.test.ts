// The BCC document model on fixture tools written in the style of the bcc tools: attach points in
// every form bcc offers, their conditions and intent, the C text rebuilt from Python strings and
// the maps between the two, and odd or broken input.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { buildBccCModel, buildBccModel, usesBcc } from '../../../server/src/syntax/bcc/bccModel';
import { cSlotAt, pythonSlotAt } from '../../../server/src/syntax/bcc/slots';
import type { BccAttachPoint, BccGuard, BccModel } from '../../../server/src/syntax/bcc/types';
import { conditionsHold, type Tri } from '../../../server/src/syntax/bcc/conditions';
import { LineMap, type Range } from '../../../server/src/syntax/cModel';
import { loadCParser, loadPythonParser } from '../../../server/src/syntax/parser';
import { DocumentStore } from '../../../server/src/syntax/documents';
import { repoRoot } from '../../repoRoot';

const fixtureDir = path.join(repoRoot(), 'test', 'fixtures', 'bcc');
const readFixture = (name: string) => fs.readFileSync(path.join(fixtureDir, name), 'utf8');

async function build(text: string): Promise<BccModel> {
  const py = (await loadPythonParser()).create();
  const c = (await loadCParser()).create();
  const tree = py.parse(text);
  assert.ok(tree);
  try {
    return buildBccModel(text, tree, { parseC: (t) => c.parse(t) ?? undefined });
  } finally {
    tree.delete();
    py.delete();
    c.delete();
  }
}

function slice(text: string, r: Range): string {
  const lines = new LineMap(text);
  return text.slice(lines.offsetAt(r.start), lines.offsetAt(r.end));
}

/** One line per attach point: kind, target, intent, handler. */
function summary(ap: BccAttachPoint): string {
  const t = ap.target;
  const target = !t ? `?` : t.regex ? `re:${t.regex}` : `${t.system ? t.system + ':' : ''}${t.syscall ? 'syscall:' : ''}${t.name}`;
  return `${ap.via} ${ap.kind} ${target} ${ap.intent} ${ap.handler ?? ''}`;
}

describe('bcc model: a tool with every attach form', () => {
  it('iolatency: explicit attach calls, auto-attached C names, guards and intents', async () => {
    const text = readFixture('iolatency.py');
    const m = await build(text);
    assert.equal(m.usesBcc, true);
    assert.deepEqual(m.attachPoints.map(summary), [
      'call kprobe blk_account_io_start always trace_req_start',
      'call kprobe blk_account_io_done runtime-chosen trace_req_done',
      'call kprobe re:^finish_task_switch$|^finish_task_switch\\.isra\\.\\d$ always trace_finish',
      'call tracepoint syscalls:sys_enter_openat always trace_openat',
      'call ksyscall syscall:execve always syscall__execve',
      'auto kprobe tcp_drop always kprobe__tcp_drop',
      'auto tracepoint sched:sched_switch always tracepoint__sched__sched_switch',
    ]);
    const byTarget = (name: string) => m.attachPoints.find((a) => a.target?.name === name)!;
    // Targets land on the text inside the Python string, or on the C name.
    assert.equal(slice(text, byTarget('blk_account_io_start').targetRange!), 'blk_account_io_start');
    assert.equal(slice(text, byTarget('execve').targetRange!), 'execve');
    assert.equal(slice(text, byTarget('tcp_drop').targetRange!), 'tcp_drop');
    assert.equal(slice(text, byTarget('sched_switch').targetRange!), 'sched, sched_switch');
    // The guard is recorded with what it checks.
    const done = byTarget('blk_account_io_done');
    assert.equal(done.conditions.length, 1);
    const expr = done.conditions[0].expr;
    assert.equal(expr.op, 'guard');
    assert.deepEqual(expr.op === 'guard' && [expr.guard.check, expr.guard.args], ['get_kprobe_functions', ['blk_account_io_done']]);
    // args-> reads of the tracepoint handlers, mapped into the Python file.
    const sw = byTarget('sched_switch').handlerFunction!;
    assert.equal(sw.macro, 'TRACEPOINT_PROBE');
    assert.deepEqual(sw.argAccesses.map((a) => a.field), ['prev_pid', 'no_such_field']);
    assert.equal(slice(text, sw.argAccesses[1].fieldRange), 'no_such_field');
    const openat = byTarget('sys_enter_openat').handlerFunction!;
    assert.deepEqual(openat.argAccesses.map((a) => a.field), ['filename']);
    assert.equal(openat.params[0].type, 'struct tracepoint__syscalls__sys_enter_openat *');
    // The placeholder FILTER, replaced in both branches, leaves one copy of the program.
    assert.equal(m.programs.length, 1);
    assert.equal(m.programs[0].functions.length, 7);
    assert.equal(m.programs[0].cText!.match(/TRACEPOINT_PROBE/g)!.length, 1);
  });

  it('maps Python positions to the C text and back, through escape sequences', async () => {
    const text = readFixture('iolatency.py');
    const m = await build(text);
    const emb = m.embedded[0];
    const at = text.indexOf('args->no_such_field');
    const c = emb.fromDocument(at)!;
    assert.equal(emb.text.slice(c, c + 'args->no_such_field'.length), 'args->no_such_field');
    assert.equal(emb.toDocument(c), at);
    // `\\n` in the Python literal is one `\n` escape of C text: two characters become `\n` (2 chars
    // of C), mapped to where each is written.
    const py = text.indexOf('"switch %d %d\\\\n"');
    const cq = emb.fromDocument(py)!;
    assert.equal(emb.text.slice(cq, cq + 17), '"switch %d %d\\n",');
    assert.equal(emb.toDocument(cq + 15), py + 16);
    // Outside any C literal there is no C offset.
    assert.equal(emb.fromDocument(text.indexOf('argparse.ArgumentParser')), undefined);
  });
});

describe('bcc model: choices made at run time', () => {
  it('schedlat: a support_raw_tracepoint() variable picks raw tracepoints or kprobes', async () => {
    const m = await build(readFixture('schedlat.py'));
    assert.deepEqual(m.attachPoints.map(summary), [
      'call kprobe wake_up_new_task runtime-chosen trace_wake_up_new_task',
      'call kprobe re:^finish_task_switch$|^finish_task_switch\\.isra\\.\\d$ runtime-chosen trace_run',
      'auto raw_tp sched_wakeup_new runtime-chosen raw_tracepoint__sched_wakeup_new',
      'auto raw_tp sched_switch runtime-chosen raw_tracepoint__sched_switch',
    ]);
    const kprobe = m.attachPoints[0];
    assert.deepEqual(kprobe.conditions.map((c) => [c.kind, c.text]), [['if', 'not is_support_raw_tp']]);
    const e = kprobe.conditions[0].expr;
    assert.ok(e.op === 'not' && e.arg.op === 'guard' && e.arg.guard.check === 'support_raw_tracepoint');
    // Both bodies are in the C text once each; STATE_FIELD (replaced in both branches of a
    // kernel_struct_has_field test) and FILTER do not copy the program.
    const p = m.programs[0];
    assert.deepEqual(p.functions.map((f) => f.name), ['trace_enqueue', 'raw_tracepoint__sched_wakeup_new',
      'raw_tracepoint__sched_switch', 'trace_wake_up_new_task', 'trace_run']);
    assert.equal(p.cText!.match(/__state/g)!.length, 2);
    assert.match(p.cText!, /BPF_HISTOGRAM\(dist\);/);
  });

  it('biostart: kprobes collected in a set and a tracepoint name replaced into TRACEPOINT_PROBE', async () => {
    const text = readFixture('biostart.py');
    const m = await build(text);
    assert.deepEqual(m.attachPoints.map(summary), [
      'call kprobe __blk_account_io_start runtime-chosen trace_req_start',
      'call kprobe blk_account_io_start runtime-chosen trace_req_start',
      'call kprobe blk_mq_start_request always trace_req_start',
      'auto tracepoint block:block_io_start runtime-chosen tracepoint__block__block_io_start',
      'auto tracepoint block:block_bio_queue runtime-chosen tracepoint__block__block_io_start',
    ]);
    // Each alternative's name lands where it is written.
    const [, , , ioStart, bioQueue] = m.attachPoints;
    assert.equal(slice(text, ioStart.targetRange!), 'block_io_start');
    assert.equal(ioStart.targetRange!.start.line, text.split('\n').findIndex((l) => l.includes('tp_start = "block_io_start"')));
    assert.equal(slice(text, bioQueue.targetRange!), 'block_bio_queue');
    assert.ok(bioQueue.conditions.some((c) => c.expr.op === 'not' && c.expr.arg.op === 'guard' && c.expr.arg.guard.check === 'tracepoint_exists'));
    assert.deepEqual(ioStart.handlerFunction!.argAccesses.map((a) => a.field), ['dev']);
  });

  it('filesnoop: the syscall prefix, local functions, try/except and exit() after a failed check', async () => {
    const m = await build(readFixture('filesnoop.py'));
    assert.deepEqual(m.attachPoints.map(summary), [
      'call ksyscall syscall:open runtime-chosen syscall__open_entry',
      'call kretsyscall syscall:open runtime-chosen trace_return',
      'call ksyscall syscall:newstat runtime-chosen syscall__newstat_entry',
      'call ksyscall syscall:statx runtime-chosen syscall__statx_entry',
      'call kprobe do_sys_openat2 runtime-chosen trace_return',
      'call tracepoint sched:sched_process_exec runtime-chosen trace_return',
      'auto fexit syscall:open runtime-chosen kretfunc__vmlinux__sys_open',
      'auto fexit syscall:open runtime-chosen kretfunc__vmlinux__sys_open',
    ]);
    const [, , stat, , tried, exec, fexitA, fexitB] = m.attachPoints;
    const ksym = stat.conditions.map((c) => c.expr).find((e) => e.op === 'guard' && e.guard.check === 'ksymname');
    assert.ok(ksym && ksym.op === 'guard');
    assert.deepEqual([ksym.guard.args, ksym.guard.syscallArg], [['newstat'], 0]);
    assert.deepEqual(tried.conditions.map((c) => c.kind), ['try']);
    assert.deepEqual(exec.conditions.map((c) => c.kind), ['exit']);
    // Two headers in #if/#else share one body: each is a definition with its own #if.
    assert.deepEqual(fexitA.handlerFunction!.preprocessor, ['#if defined(CONFIG_ARCH_HAS_SYSCALL_WRAPPER) && !defined(__s390x__)']);
    assert.match(fexitB.handlerFunction!.preprocessor[0], /^#else of #if/);
    assert.deepEqual(fexitB.handlerFunction!.params.map((p) => p.name), ['filename', 'flags', 'ret']);
  });
});

describe('bcc model: string forms', () => {
  it('strings: escapes, continuations, implicit concatenation, bytes, f-strings, % and positional arguments', async () => {
    const text = readFixture('strings.py');
    const m = await build(text);
    assert.deepEqual(m.attachPoints.map(summary), [
      'call kprobe vfs_rename always trace_entry',
      'call kretprobe vfs_rename always trace_entry',
      'call raw_tp sched_process_fork always trace_entry',
      'call kprobe vfs_truncate always trace_entry',
      'auto kprobe vfs_read always kprobe__vfs_read',
      'auto kprobe vfs_write always kprobe__vfs_write',
      'auto kretprobe vfs_fsync always kretprobe__vfs_fsync',
      'auto kprobe vfs_unlink always kprobe__vfs_unlink',
      'auto kprobe vfs_open always kprobe__vfs_open',
      'auto kprobe ? always kprobe________________',
    ]);
    const c = m.programs[0].cText!;
    assert.match(c, /bpf_trace_printk\("%d\\n", 1\)/);
    assert.match(c, /int trace_entry\(struct pt_regs \*ctx\) \{ return 0; \}/);
    const unlink = m.attachPoints.find((a) => a.target?.name === 'vfs_unlink')!;
    // The name is split by a backslash-newline: it is not written in one place, the header is.
    assert.match(slice(text, unlink.handlerFunction!.nameRange), /^kprobe__vfs_\\\nunlink$/);
    const unknown = m.attachPoints[m.attachPoints.length - 1];
    assert.equal(unknown.unresolved, 'the name is set at run time');
    assert.equal(slice(text, m.attachPoints.find((a) => a.target?.name === 'vfs_read')!.targetRange!), 'vfs_read');
    // `b"vfs_" + b"truncate"` is known but not written in one place.
    assert.equal(m.attachPoints[3].targetRange, undefined);
  });

  it('a .c file loaded with src_file, and the Python that loads it', async () => {
    const cText = readFixture('modern.c');
    const c = (await loadCParser()).create();
    const tree = c.parse(cText)!;
    const cm = buildBccCModel(cText, tree);
    tree.delete();
    c.delete();
    assert.deepEqual(cm.attachPoints.map(summary), [
      'auto fentry vfs_read always kfunc__vmlinux__vfs_read',
      'auto fexit vfs_write always kretfunc__vmlinux__vfs_write',
      'auto lsm bpf always lsm__bpf',
      'auto raw_tp sched_process_exec always raw_tracepoint__sched_process_exec',
      'auto kretsyscall syscall:clone always kretprobe__sys_clone',
    ]);
    assert.deepEqual(cm.attachPoints[1].handlerFunction!.params.map((p) => `${p.type}|${p.name}`), [
      'struct file *|file', 'const char *|buf', 'size_t|count', 'loff_t *|pos', 'ssize_t|ret']);
    const py = await build(readFixture('modern.py'));
    assert.equal(py.programs[0].srcFile, 'modern.c');
    assert.deepEqual(py.attachPoints.map(summary), ['call lsm bpf runtime-chosen lsm__bpf', 'call fentry vfs_read always kfunc__vmlinux__vfs_read']);
  });
});

describe('bcc model: recognising bcc and bad input', () => {
  it('usesBcc: the import forms bcc tools use, and files that only mention bcc', () => {
    assert.equal(usesBcc('from bcc import BPF\n'), true);
    assert.equal(usesBcc('import os\nimport bcc\n'), true);
    assert.equal(usesBcc('import os, bcc\n'), true);
    assert.equal(usesBcc('from bcc.utils import printb\n'), true);
    assert.equal(usesBcc('try:\n    from bcc import BPF\nexcept ImportError:\n    pass\n'), true);
    assert.equal(usesBcc('# from bcc import BPF\nimport numpy\n'), false);
    assert.equal(usesBcc('import bccx\nfrom bccfoo import x\n'), false);
    assert.equal(usesBcc('text = "from bcc import BPF"\n'), false);
  });

  it('never throws on broken or hostile input', async () => {
    const samples = [
      '', 'from bcc import BPF\nb = BPF(text="""int kprobe__x(', 'b.attach_kprobe(event=', 'from bcc import BPF\nx = """\n',
      'from bcc import BPF\n' + 'if a:\n'.repeat(1) + '    t = "x"\n'.repeat(3) + 'b = BPF(text=t)\n',
      'from bcc import BPF\ndef f(x):\n    return f(x)\nf(1)\nb = BPF(text=f(2))\nb.attach_kprobe(event=f(3))\n',
      'from bcc import BPF\nt = ""\nfor i in range(100000):\n    t += "int kprobe__f%d(void *ctx) { return 0; }" % i\nBPF(text=t)\n',
      'from bcc import BPF\nt = "a"\n' + 'if x:\n    t = t + t\n'.repeat(40) + 'BPF(text=t)\n',
      'from bcc import BPF\nb = BPF(text="TRACEPOINT_PROBE(a) {} KFUNC_PROBE() {} int kprobe__(void) {}")\n',
    ];
    for (const s of samples) {
      const m = await build(s);
      assert.ok(Array.isArray(m.attachPoints));
    }
  });
});

describe('bcc model: what quick fixes and completion need', () => {
  it('attach calls keep their arguments as written', async () => {
    const text = readFixture('iolatency.py');
    const m = await build(text);
    const start = m.attachPoints[0];
    const event = start.args!.event;
    assert.equal(slice(text, event.range), 'event="blk_account_io_start"');
    assert.equal(event.keyword, true);
    assert.deepEqual(event.literal && [slice(text, event.literal.contentRange), event.literal.text, event.literal.quote], ['blk_account_io_start', 'blk_account_io_start', '"']);
    const re = m.attachPoints[2].args!.event_re;
    assert.equal(re.literal!.prefix, 'r');
    const positional = (await build(readFixture('strings.py'))).attachPoints[0].args!;
    assert.deepEqual(Object.keys(positional), ['event', 'event_off', 'fn_name']);
    assert.equal(positional.event.keyword, false);
  });

  it('pythonSlotAt: the string argument under the cursor while typing', () => {
    const at = (s: string) => pythonSlotAt(s.replace('|', ''), s.indexOf('|'));
    assert.deepEqual(at('b.attach_kprobe(event="blk_|'), { method: 'attach_kprobe', param: 'event', prefix: 'blk_', contentStart: 23, before: [] });
    assert.equal(at('b.attach_kprobe("vfs_read", 0, "tr|')?.param, 'fn_name');
    assert.equal(at('b.attach_kretprobe("vfs_read", "tr|')?.param, 'fn_name');
    assert.equal(at('b.attach_tracepoint(tp="sched:|")')?.prefix, 'sched:');
    assert.equal(at("b.attach_kprobe(event_re=r'^finish_task_switch\\.|")?.param, 'event_re');
    assert.deepEqual(at('if BPF.tracepoint_exists("block", "block_|'), { method: 'tracepoint_exists', param: '1', prefix: 'block_', contentStart: 35, before: ['block'] });
    assert.equal(at('if BPF.get_kprobe_functions(b"tcp_|')?.prefix, 'tcp_');
    assert.equal(at('b.attach_kprobe(event="x", fn_name="y")\nprint("|'), undefined);
    assert.equal(at('b.attach_kprobe(event=f(|'), undefined);
    assert.equal(at('x = "|'), undefined);
  });

  it('cSlotAt: probe macro arguments and autoload names in C text', () => {
    assert.deepEqual(cSlotAt('\nTRACEPOINT_PROBE(sched, sched_sw'), { kind: 'macro', head: 'TRACEPOINT_PROBE', arg: 1, before: ['sched'], prefix: 'sched_sw' });
    assert.deepEqual(cSlotAt('KFUNC_PROBE(vfs_'), { kind: 'macro', head: 'KFUNC_PROBE', arg: 0, before: [], prefix: 'vfs_' });
    assert.deepEqual(cSlotAt('int kprobe__tcp_dr'), { kind: 'name', head: 'kprobe__', arg: 0, before: [], prefix: 'tcp_dr' });
    assert.equal(cSlotAt('TRACEPOINT_PROBE(sched, sched_switch) {\n  u32 x = '), undefined);
  });
});

describe('bcc model: in the document store', () => {
  it('Python tools that import bcc get a model, other Python files none; edits rebuild it', async () => {
    const store = new DocumentStore({ parser: await loadCParser(), pythonParser: await loadPythonParser() });
    try {
      const tool = store.open('file:///t/iolatency.py', 'python', 1, readFixture('iolatency.py'));
      assert.equal(tool.bcc?.attachPoints.length, 7);
      assert.equal(tool.c, undefined);
      const plain = store.open('file:///t/plot.py', 'python', 1, 'import numpy\nprint("kprobe__x")\n');
      assert.equal(plain.bcc, undefined);
      const edited = store.change('file:///t/iolatency.py', 2, [{ text: 'from bcc import BPF\nBPF(text="int kprobe__vfs_read(void *ctx) { return 0; }")\n' }]);
      assert.deepEqual(edited?.bcc?.attachPoints.map(summary), ['auto kprobe vfs_read always kprobe__vfs_read']);
    } finally {
      store.dispose();
    }
  });
});

describe('bcc conditions per kernel', () => {
  it('the kprobe fallback of a raw tracepoint check: attached only where the check fails', async () => {
    const m = await build(readFixture('schedlat.py'));
    const [kprobe, , raw] = m.attachPoints;
    const answer = (supported: Tri) => (g: BccGuard): Tri => (g.check === 'support_raw_tracepoint' ? supported : undefined);
    assert.equal(conditionsHold(kprobe.conditions, answer(true)), false);
    assert.equal(conditionsHold(kprobe.conditions, answer(false)), true);
    assert.equal(conditionsHold(kprobe.conditions, answer(undefined)), undefined);
    assert.equal(conditionsHold(raw.conditions, answer(true)), true);
  });

  it('exit() after failed checks, command-line options, try blocks and else chains', async () => {
    const m = await build(readFixture('filesnoop.py'));
    const exec = m.attachPoints.find((a) => a.target?.name === 'sched_process_exec')!;
    const tp = (present: Tri) => (g: BccGuard): Tri => (g.check === 'tracepoint_exists' ? present : undefined);
    assert.equal(conditionsHold(exec.conditions, tp(true)), true);
    assert.equal(conditionsHold(exec.conditions, tp(false)), false);
    const tried = m.attachPoints.find((a) => a.target?.name === 'do_sys_openat2')!;
    assert.equal(conditionsHold(tried.conditions, () => true), undefined);
    const bio = await build(readFixture('biostart.py'));
    const mq = bio.attachPoints.find((a) => a.target?.name === 'blk_mq_start_request')!;
    assert.equal(conditionsHold(mq.conditions, () => undefined), true, 'a command-line option is taken as given');
    const queue = bio.attachPoints.find((a) => a.target?.name === 'block_bio_queue')!;
    const kernel = (present: Set<string>) => (g: BccGuard): Tri => present.has(`${g.check}:${g.args.join(':')}`);
    assert.equal(conditionsHold(queue.conditions, kernel(new Set())), true);
    assert.equal(conditionsHold(queue.conditions, kernel(new Set(['tracepoint_exists:block:block_io_start']))), false);
    assert.equal(conditionsHold(queue.conditions, kernel(new Set(['get_kprobe_functions:blk_account_io_start']))), false);
  });
});
