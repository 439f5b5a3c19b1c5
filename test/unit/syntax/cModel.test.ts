// The libbpf C model on tool-style fixtures and on the broken shapes met while typing.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCModel, builtinSectionResolver, LineMap, programAt, type BpfProgram } from '../../../server/src/syntax/cModel';
import { loadKnowledge } from '../../../server/src/knowledge/load';
import { loadFixture, openFixture, repoDataDir, stripMarkers, marker } from '../../features/fixture';
import path from 'node:path';

async function model(source: string) {
  const doc = await openFixture(stripMarkers(source, 'inline.bpf.c'));
  assert.ok(doc.c, 'a C document has a model');
  return doc.c;
}

function summary(p: BpfProgram) {
  return {
    section: p.section,
    prefix: p.prefix,
    kind: p.kind,
    name: p.target?.name,
    system: p.target?.system,
    handler: p.handler?.name,
    macro: p.handler?.macro,
    params: p.handler?.params.map((x) => `${x.type}|${x.name}`),
  };
}

describe('cModel: tool-style programs', () => {
  it('opensnoop: syscall tracepoints with plain ctx handlers, data sections skipped', async () => {
    const doc = await openFixture(loadFixture('c/opensnoop.bpf.c'));
    const programs = doc.c!.programs;
    assert.deepEqual(programs.map((p) => p.section), [
      'tracepoint/syscalls/sys_enter_open', 'tracepoint/syscalls/sys_enter_openat',
      'tracepoint/syscalls/sys_exit_open', 'tracepoint/syscalls/sys_exit_openat',
    ]);
    const enter = programs[1];
    assert.equal(enter.kind, 'tracepoint');
    assert.equal(enter.target?.system, 'syscalls');
    assert.equal(enter.target?.name, 'sys_enter_openat');
    assert.equal(enter.handler?.name, 'tracepoint__syscalls__sys_enter_openat');
    assert.equal(enter.handler?.macro, undefined);
    assert.deepEqual(enter.handler?.ctx && [enter.handler.ctx.type, enter.handler.ctx.name], ['struct syscall_trace_enter *', 'ctx']);
    assert.deepEqual(enter.ctxAccesses.map((a) => [a.field, a.via]), [['args', 'arrow'], ['args', 'arrow']]);
    // Section and target ranges point at the text.
    const lines = new LineMap(doc.text);
    const slice = (r: { start: { line: number; character: number }; end: { line: number; character: number } }) =>
      doc.text.slice(lines.offsetAt(r.start), lines.offsetAt(r.end));
    assert.equal(slice(enter.sectionRange), 'tracepoint/syscalls/sys_enter_openat');
    assert.equal(slice(enter.target!.nameRange!), 'sys_enter_openat');
    assert.equal(slice(enter.target!.systemRange!), 'syscalls');
    assert.equal(slice(enter.prefixRange), 'tracepoint');
    assert.ok(enter.bodyRange && slice(enter.bodyRange).startsWith('{') && slice(enter.bodyRange).endsWith('}'));
    const helpers = new Set(doc.c!.helperCalls.map((h) => h.name));
    for (const h of ['bpf_get_current_pid_tgid', 'bpf_map_update_elem', 'bpf_probe_read_user_str', 'bpf_perf_event_output']) {
      assert.ok(helpers.has(h), `helper call ${h} found`);
    }
  });

  it('runqlat: BPF_PROG handlers with typed arguments on tp_btf and raw_tp', async () => {
    const doc = await openFixture(loadFixture('c/runqlat.bpf.c'));
    const s = doc.c!.programs.map(summary);
    assert.deepEqual(s.map((x) => x.section), ['tp_btf/sched_wakeup', 'tp_btf/sched_wakeup_new', 'tp_btf/sched_switch', 'raw_tp/sched_wakeup', 'raw_tp/sched_switch']);
    assert.deepEqual(s[2], {
      section: 'tp_btf/sched_switch', prefix: 'tp_btf', kind: 'tp_btf', name: 'sched_switch', system: undefined,
      handler: 'sched_switch', macro: 'BPF_PROG',
      params: ['bool|preempt', 'struct task_struct *|prev', 'struct task_struct *|next'],
    });
    assert.equal(s[4].kind, 'raw_tp');
    assert.equal(s[4].handler, 'handle_sched_switch');
  });

  it('offcputime: #ifdef alternatives share one handler; tracepoint record reads via -> and BPF_CORE_READ', async () => {
    const f = loadFixture('c/offcputime.bpf.c');
    const doc = await openFixture(f);
    const [btf, raw, tp] = doc.c!.programs;
    assert.equal(btf.section, 'tp_btf/sched_switch');
    assert.deepEqual(btf.conditions, ['#ifdef USE_BTF_TRACEPOINT']);
    assert.equal(raw.section, 'raw_tp/sched_switch');
    assert.deepEqual(raw.conditions, ['#else of #ifdef USE_BTF_TRACEPOINT']);
    assert.equal(btf.handler?.name, 'sched_switch');
    assert.deepEqual(raw.handler, btf.handler);
    assert.equal(tp.handler?.ctx?.type, 'struct trace_event_raw_sched_switch *');
    assert.deepEqual(tp.ctxAccesses.map((a) => `${a.field}:${a.via}`), ['prev_pid:arrow', 'next_pid:arrow', 'prev_state:core-read', 'next_comm:arrow']);
    const pos = marker(f, 'prev_pid');
    assert.deepEqual(tp.ctxAccesses[0].fieldRange.start, pos);
    assert.equal(programAt(doc.c!, pos), tp);
  });

  it('biosnoop: a target-less fentry keeps no target; kprobe, tp_btf and tracepoint parsed', async () => {
    const doc = await openFixture(loadFixture('c/biosnoop.bpf.c'));
    const byName = new Map(doc.c!.programs.map((p) => [p.handler?.name, p]));
    const retargeted = byName.get('blk_account_io_start_retargeted')!;
    assert.equal(retargeted.section, 'fentry');
    assert.equal(retargeted.kind, 'fentry');
    assert.equal(retargeted.target, undefined);
    const kp = byName.get('blk_account_io_start_kprobe')!;
    assert.equal(kp.kind, 'kprobe');
    assert.equal(kp.handler?.macro, 'BPF_KPROBE');
    assert.deepEqual(kp.handler?.params.map((p) => p.type), ['struct request *']);
    assert.equal(byName.get('handle_complete')?.handler?.ctx?.type, 'struct trace_event_raw_block_rq_completion *');
  });

  it('tcpconnect: same-line SEC, BPF_KRETPROBE, BPF_KSYSCALL and a suppression comment', async () => {
    const doc = await openFixture(loadFixture('c/tcpconnect.bpf.c'));
    const ps = doc.c!.programs;
    const v6 = ps.find((p) => p.section === 'kprobe/tcp_v6_connect')!;
    assert.equal(v6.handler?.name, 'tcp_v6_connect');
    assert.equal(v6.secRange.start.line, v6.handler?.headerRange.start.line);
    const ret = ps.find((p) => p.section === 'kretprobe/tcp_v4_connect')!;
    assert.equal(ret.handler?.macro, 'BPF_KRETPROBE');
    assert.deepEqual(ret.handler?.params.map((p) => `${p.type}|${p.name}`), ['int|ret']);
    const sys = ps.find((p) => p.section === 'ksyscall/connect')!;
    assert.equal(sys.kind, 'ksyscall');
    assert.equal(sys.handler?.macro, 'BPF_KSYSCALL');
    assert.equal(sys.handler?.params.length, 3);
    assert.deepEqual(sys.suppression?.codes, ['absent']);
    assert.equal(sys.suppression?.reason, 'checked by the loader');
    assert.equal(ps.filter((p) => p.suppression).length, 1);
  });
});

describe('cModel: maps, the licence and other data sections', () => {
  it('opensnoop: BTF-defined maps with their types and the licence with its value', async () => {
    const doc = await openFixture(loadFixture('c/opensnoop.bpf.c'));
    const lines = new LineMap(doc.text);
    const slice = (r: { start: { line: number; character: number }; end: { line: number; character: number } }) =>
      doc.text.slice(lines.offsetAt(r.start), lines.offsetAt(r.end));
    assert.deepEqual(doc.c!.data.map((d) => [d.section, d.name, d.mapType, d.value]), [
      ['.maps', 'start', 'BPF_MAP_TYPE_HASH', undefined],
      ['.maps', 'events', 'BPF_MAP_TYPE_PERF_EVENT_ARRAY', undefined],
      ['license', 'LICENSE', undefined, 'GPL'],
    ]);
    const [start, , licence] = doc.c!.data;
    assert.match(slice(start.range), /^struct \{\n\t__uint\(type, BPF_MAP_TYPE_HASH\);[^]*\} start SEC\("\.maps"\);$/);
    assert.equal(slice(start.nameRange), 'start');
    assert.equal(slice(licence.range), 'char LICENSE[] SEC("license") = "GPL";');
  });

  it('legacy bpf_map_def maps, attribute sections, and a declaration still being typed', async () => {
    const m = await model([
      'struct bpf_map_def SEC("maps") counts = {',
      '\t.type = BPF_MAP_TYPE_ARRAY,',
      '\t.max_entries = 1,',
      '};',
      'char _license[] __attribute__((section("license"), used)) = "Dual BSD/GPL";',
      'struct { __uint(type, BPF_MAP_TYPE_RINGBUF); } rb SEC(".ma',
    ].join('\n'));
    assert.deepEqual(m.data.map((d) => [d.section, d.name, d.mapType, d.value]), [
      ['maps', 'counts', 'BPF_MAP_TYPE_ARRAY', undefined],
      ['license', '_license', undefined, 'Dual BSD/GPL'],
    ]);
    assert.ok(!m.programs.some((p) => ['maps', 'license'].includes(p.section)), 'data sections are not programs');
  });
});

describe('cModel: broken and unusual shapes', () => {
  it('an unclosed section string still yields the program and the handler on the next line', async () => {
    const m = await model('SEC("tp_btf/sched_\nint BPF_PROG(on_switch, struct task_struct *p)\n{\n\treturn 0;\n}\n');
    assert.equal(m.programs.length, 1);
    const p = m.programs[0];
    assert.equal(p.section, 'tp_btf/sched_');
    assert.equal(p.sectionClosed, false);
    assert.equal(p.kind, 'tp_btf');
    assert.equal(p.target?.name, 'sched_');
    assert.equal(p.handler?.name, 'on_switch');
    assert.ok(p.bodyRange);
  });

  it('a section without handler yet, and a half-typed parameter list', async () => {
    const m = await model('SEC("kprobe/vfs_read")\n\nSEC("fentry/vfs_write")\nint BPF_PROG(w, struct file *f\n');
    assert.equal(m.programs.length, 2);
    assert.equal(m.programs[0].handler, undefined);
    const w = m.programs[1];
    assert.equal(w.handler?.name, 'w');
    assert.equal(w.handler?.paramsClosed, false);
    assert.deepEqual(w.handler?.params.map((p) => `${p.type}|${p.name}`), ['struct file *|f']);
  });

  it('__attribute__((section)) and kprobe offsets, module targets and multi patterns', async () => {
    const m = await model([
      '__attribute__((section("kprobe/do_sys_open+0x10"), used))',
      'int kp(struct pt_regs *ctx) { return 0; }',
      'SEC("fentry/nf_conntrack:nf_confirm") int BPF_PROG(c) { return 0; }',
      'SEC("kprobe.multi/tcp_*") int BPF_KPROBE(m) { return 0; }',
      'SEC("usdt/./libc.so.6:libc:setjmp") int BPF_USDT(u, void *env) { return 0; }',
      'SEC("xdp") int x(struct xdp_md *ctx) { return 0; }',
    ].join('\n'));
    const [kp, fe, multi, usdt, xdp] = m.programs;
    assert.equal(kp.form, 'attribute');
    assert.equal(kp.target?.name, 'do_sys_open');
    assert.equal(kp.target?.offset, '0x10');
    assert.equal(kp.handler?.ctx?.type, 'struct pt_regs *');
    assert.equal(fe.target?.module, 'nf_conntrack');
    assert.equal(fe.target?.name, 'nf_confirm');
    assert.equal(multi.kind, 'kprobe.multi');
    assert.equal(multi.target?.pattern, true);
    assert.equal(usdt.kind, undefined);
    assert.equal(usdt.target?.provider, 'libc');
    assert.equal(usdt.target?.name, 'setjmp');
    assert.equal(usdt.handler?.macro, 'BPF_USDT');
    // A networking prefix: known to libbpf (and the knowledge table), not indexed by the atlas.
    assert.equal(xdp.kind, undefined);
    assert.equal(xdp.prefix, 'xdp');
    assert.equal(xdp.target, undefined);
    assert.equal(xdp.handler?.name, 'x');
  });

  it('SEC inside comments and strings is not a program; an ignore comment on the line before is', async () => {
    const m = await model([
      '/* SEC("kprobe/in_comment") */',
      'const char *s = "SEC(\\"kprobe/in_string\\")";',
      '/* bpf-atlas-ignore */',
      'SEC("kprobe/real") int BPF_KPROBE(r) { return 0; }',
    ].join('\n'));
    assert.deepEqual(m.programs.map((p) => p.section), ['kprobe/real']);
    assert.deepEqual(m.programs[0].suppression?.codes, []);
  });

  it('never throws on garbage and keeps going after it', async () => {
    const m = await model('}}}{{ SEC( SEC("") ((( int BPF_PROG(\n"unterminated\nSEC("tp/sched/sched_switch")\nint h(struct trace_event_raw_sched_switch *ctx) { return ctx->prev_pid; }\n');
    const last = m.programs[m.programs.length - 1];
    assert.equal(last.section, 'tp/sched/sched_switch');
    assert.equal(last.kind, 'tracepoint');
    assert.deepEqual(last.ctxAccesses.map((a) => a.field), ['prev_pid']);
  });

  it('the knowledge section table resolves the same kinds as the built-in one', () => {
    const knowledge = loadKnowledge(path.join(repoDataDir(), 'knowledge'));
    for (const s of ['kprobe/x', 'kretprobe/x', 'ksyscall/x', 'fentry.s/x', 'fexit/x', 'tp/a/b', 'tracepoint/a/b', 'raw_tp/x',
      'tp_btf/x', 'lsm/file_open', 'lsm.s/file_open', 'iter/task', 'kprobe.multi/x*']) {
      assert.equal(knowledge.sectionPrefix(s)?.kind, builtinSectionResolver(s)?.kind, s);
      const viaKnowledge = buildCModel(`SEC("${s}") int f(void *ctx) { return 0; }`, undefined, knowledge.sectionPrefix);
      assert.equal(viaKnowledge.programs[0].kind, builtinSectionResolver(s)?.kind, s);
    }
  });
});
