// The knowledge loader over the real data/knowledge files: section prefix matching, equivalents
// lookup (clone suffixes, patterns, placeholders), and clear errors for missing or corrupt files.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { dataDir } from '../../../server/src/dataDir';
import { KnowledgeFileError, loadKnowledge } from '../../../server/src/knowledge/load';

const knowledgeDir = path.join(dataDir(), 'knowledge');
const knowledge = loadKnowledge(knowledgeDir);

test('sectionPrefix picks the longest libbpf prefix', () => {
  assert.equal(knowledge.sectionPrefix('tp_btf/sched_switch')?.prefix, 'tp_btf');
  assert.equal(knowledge.sectionPrefix('tp_btf/sched_switch')?.kind, 'tp_btf');
  assert.equal(knowledge.sectionPrefix('kprobe.multi/tcp_*')?.prefix, 'kprobe.multi');
  assert.equal(knowledge.sectionPrefix('kprobe.multi/tcp_*')?.pattern, true);
  assert.equal(knowledge.sectionPrefix('kprobe/do_sys_open')?.prefix, 'kprobe');
  assert.equal(knowledge.sectionPrefix('kretprobe/do_sys_open')?.macro, 'BPF_KRETPROBE');
  assert.equal(knowledge.sectionPrefix('fentry.s/do_sys_open')?.sleepable, true);
  assert.equal(knowledge.sectionPrefix('fentry.s/do_sys_open')?.kind, 'fentry');
  assert.equal(knowledge.sectionPrefix('raw_tp/sched_switch')?.kind, 'raw_tp');
  assert.equal(knowledge.sectionPrefix('ksyscall/openat')?.macro, 'BPF_KSYSCALL');
});

test('tracepoint/ and tp/ are both tracepoint sections', () => {
  assert.equal(knowledge.sectionPrefix('tracepoint/sched/x')?.kind, 'tracepoint');
  assert.equal(knowledge.sectionPrefix('tp/sched/x')?.kind, 'tracepoint');
  assert.equal(knowledge.sectionPrefix('tp/sched/x')?.prefix, 'tp');
});

test('sections without a target match only exactly; networking prefixes have no kind', () => {
  assert.equal(knowledge.sectionPrefix('fentry')?.prefix, 'fentry');
  assert.equal(knowledge.sectionPrefix('xdp')?.kind, undefined);
  assert.equal(knowledge.sectionPrefix('xdp.frags/devmap')?.prefix, 'xdp.frags/devmap');
  assert.equal(knowledge.sectionPrefix('cgroup/connect4')?.takesTarget, false);
  assert.equal(knowledge.sectionPrefix('perf_event/extra'), undefined);
  assert.equal(knowledge.sectionPrefix('kprobes/do_sys_open'), undefined);
  assert.equal(knowledge.sectionPrefix(''), undefined);
});

test('every prefix is unique and every traced kind is an attach kind the atlas knows', () => {
  const kinds = new Set(['kprobe', 'kretprobe', 'kprobe.multi', 'kretprobe.multi', 'kprobe.session', 'ksyscall',
    'kretsyscall', 'fentry', 'fexit', 'fmod_ret', 'fsession', 'tracepoint', 'raw_tp', 'tp_btf', 'lsm', 'iter']);
  const seen = new Set<string>();
  for (const p of knowledge.sectionPrefixes()) {
    assert.ok(!seen.has(p.prefix), `duplicate prefix ${p.prefix}`);
    seen.add(p.prefix);
    if (p.kind) assert.ok(kinds.has(p.kind), `${p.prefix}: unknown kind ${p.kind}`);
    if (p.kind) assert.ok(p.takesTarget, `${p.prefix}: a traced kind takes a target`);
  }
  assert.ok(seen.size >= 100, `expected the full section table, got ${seen.size}`);
});

test('version floors cover the program types FIELD-NOTES gives', () => {
  const floors = new Map(knowledge.versionFloors().map((f) => [f.feature, f.minKernel]));
  assert.equal(floors.get('tracepoint'), '4.7');
  assert.equal(floors.get('raw_tp'), '4.17');
  assert.equal(floors.get('tp_btf'), '5.5');
  assert.equal(floors.get('fentry'), '5.5');
  assert.equal(floors.get('kprobe.multi'), '5.18');
});

test('equivalentsFor(blk_account_io_start) offers block_io_start (6.5) and block_rq_issue', () => {
  const rows = knowledge.equivalentsFor('blk_account_io_start');
  const alts = rows.flatMap((r) => r.alternative.map((a) => ({ ...a, since: a.since ?? r.since, strength: r.strength })));
  const ioStart = alts.find((a) => a.system === 'block' && a.name === 'block_io_start');
  assert.ok(ioStart, 'block:block_io_start is offered');
  assert.equal(ioStart.kind, 'tracepoint');
  assert.equal(ioStart.since, '6.5');
  assert.equal(ioStart.strength, 'equivalent');
  assert.ok(alts.some((a) => a.system === 'block' && a.name === 'block_rq_issue'), 'block:block_rq_issue is offered');
});

test('equivalentsFor strips compiler suffixes and returns nothing for unknown names', () => {
  const rows = knowledge.equivalentsFor('finish_task_switch.isra.0');
  assert.ok(rows.some((r) => r.alternative.some((a) => a.name === 'sched_switch')));
  assert.deepEqual(knowledge.equivalentsFor('no_such_function_here'), []);
  const drop = knowledge.equivalentsFor('tcp_drop');
  assert.ok(drop.some((r) => r.alternative.some((a) => a.system === 'skb' && a.name === 'kfree_skb')));
});

test('pattern rows fill in {stem} and {fn} for the queried function', () => {
  const rows = knowledge.equivalentsFor('security_file_open');
  const lsm = rows.flatMap((r) => r.alternative).find((a) => a.kind === 'lsm');
  assert.equal(lsm?.name, 'file_open');
  const fentry = rows.flatMap((r) => r.alternative).find((a) => a.kind === 'fentry');
  assert.equal(fentry?.name, 'security_file_open');
  const lookup = knowledge.equivalentsFor('lookup_fast.constprop.0').flatMap((r) => r.alternative);
  assert.ok(lookup.some((a) => a.kind === 'kprobe.multi' && a.name === 'lookup_fast*'));
  assert.equal(knowledge.equivalentsFor('cap_capable')[0].strength, 'related');
});

test('equivalent rows name real tracepoints with a system and a valid strength', () => {
  const raw = JSON.parse(fs.readFileSync(path.join(knowledgeDir, 'equivalents.json'), 'utf8'));
  for (const row of raw.equivalents) {
    for (const alt of row.alternative) {
      if (alt.kind === 'tracepoint') assert.ok(alt.system, `${row.functions[0]}: tracepoint without system`);
      if (alt.since) assert.match(alt.since, /^\d+\.\d+$/);
    }
  }
  assert.ok(raw.equivalents.filter((r: { strength: string }) => r.strength === 'equivalent').length >= 27);
  assert.ok(raw.equivalents.filter((r: { strength: string }) => r.strength === 'related').length >= 11);
});

function tempDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-knowledge-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

test('a missing knowledge file gives an Error naming it, on first use only', () => {
  const dir = tempDir({});
  const k = loadKnowledge(dir);
  assert.throws(() => k.sectionPrefix('kprobe/x'), (err: Error) =>
    err instanceof KnowledgeFileError && err.message.includes(path.join(dir, 'sections.json')) && /missing/.test(err.message));
  assert.throws(() => k.helper('bpf_map_lookup_elem'), /helpers\.json.*missing/);
});

test('corrupt JSON and a bad row give Errors naming the file and the row', () => {
  const dir = tempDir({
    'sections.json': '{"prefixes": [',
    'equivalents.json': JSON.stringify({ equivalents: [{ functions: ['f'], alternative: [], strength: 'equivalent', evidence: 'e', source: 's' }] }),
    'bpftrace-builtins.json': JSON.stringify({ builtins: [{ name: 'pid', kind: 'variable', doc: 'process id' }] }),
  });
  const k = loadKnowledge(dir);
  assert.throws(() => k.sectionPrefixes(), /sections\.json: not valid JSON/);
  assert.throws(() => k.equivalentsFor('f'), /equivalents\.json: equivalents\[0\]: "alternative" must be a non-empty array/);
  assert.throws(() => k.bpftraceBuiltins(), /bpftrace-builtins\.json: builtins\[0\]: "source" must be a non-empty string/);
});

test('helpers.json.gz is read when the plain file is absent', async () => {
  const zlib = await import('node:zlib');
  const dir = tempDir({});
  const doc = { helpers: [{ name: 'bpf_x', proto: 'long bpf_x(void)', source: 'test', pitfalls: [] }] };
  fs.writeFileSync(path.join(dir, 'helpers.json.gz'), zlib.gzipSync(JSON.stringify(doc)));
  assert.equal(loadKnowledge(dir).helper('bpf_x')?.proto, 'long bpf_x(void)');
});

test('evidenceFor finds reports by function, clone name, tracepoint and event name', () => {
  const refs = (s: string) => knowledge.evidenceFor(s).map((e) => e.ref);
  assert.ok(refs('blk_account_io_start').includes('iovisor/bcc#4261'));
  assert.ok(refs('finish_task_switch.isra.0').includes('iovisor/bcc#3293'));
  assert.ok(refs('block:block_rq_issue').includes('iovisor/bcc#3338'));
  assert.ok(refs('block_rq_issue').includes('iovisor/bcc#3338'));
  assert.deepEqual(refs('no_such_subject'), []);
  const report = knowledge.evidenceFor('tcp_drop').find((e) => e.ref === 'bpftrace/bpftrace#2448');
  assert.equal(report?.url, 'https://github.com/bpftrace/bpftrace/issues/2448');
  assert.equal(report?.hazard, 'fully-inlined');
});

test('bpftrace builtins: variables, functions, map functions and probe types with aliases', () => {
  const all = knowledge.bpftraceBuiltins();
  const byName = new Map(all.map((b) => [`${b.kind}:${b.name}`, b]));
  for (const name of ['pid', 'tid', 'uid', 'gid', 'nsecs', 'elapsed', 'cpu', 'comm', 'kstack', 'ustack', 'arg0', 'args',
    'retval', 'func', 'probe', 'curtask', 'rand', 'cgroup']) {
    assert.ok(byName.has(`variable:${name}`), `variable ${name}`);
  }
  for (const name of ['printf', 'time', 'join', 'str', 'buf', 'ksym', 'usym', 'kaddr', 'uaddr', 'reg', 'system', 'exit',
    'cgroupid', 'ntop', 'kptr', 'uptr', 'macaddr', 'cat', 'signal', 'strncmp', 'override', 'sizeof', 'offsetof', 'print',
    'clear', 'zero', 'delete']) {
    assert.ok(byName.has(`function:${name}`), `function ${name}`);
  }
  for (const name of ['count', 'sum', 'avg', 'min', 'max', 'stats', 'hist', 'lhist']) {
    assert.ok(byName.has(`map-function:${name}`), `map function ${name}`);
  }
  assert.deepEqual(byName.get('probe:kprobe')?.aliases, ['k']);
  assert.ok(byName.get('probe:fentry')?.aliases?.includes('kfunc'));
  assert.match(byName.get('map-function:lhist')?.signature ?? '', /min, int64 max, int64 step/);
  for (const b of all) assert.ok(b.doc.length > 10 && !b.doc.includes('\n'), `${b.name}: one-line doc`);
});

test('sectionPrefixes keeps the table order (tracing prefixes first) for completion lists', () => {
  const order = knowledge.sectionPrefixes().map((p) => p.prefix);
  assert.equal(order[0], 'kprobe');
  assert.ok(order.indexOf('tracepoint') < order.indexOf('xdp'));
});

test('evidenceFor accepts libbpf and bpftrace spellings of a tracepoint', () => {
  for (const s of ['block/block_rq_issue', 'tracepoint:block:block_rq_issue', 'tp_btf:block_rq_issue']) {
    assert.ok(knowledge.evidenceFor(s).some((e) => e.ref === 'iovisor/bcc#3338'), s);
  }
  assert.ok(knowledge.evidenceFor('kprobe:tcp_drop').some((e) => e.ref === 'bpftrace/bpftrace#2448'));
});
