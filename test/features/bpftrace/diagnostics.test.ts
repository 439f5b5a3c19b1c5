// bpftrace diagnostics over the real bundled atlas: tool-style fixtures, the hazard taxonomy and
// codes shared with C, wildcards, probe lists, args fields, retval and suppression comments.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { diagnosticsBpftrace } from '../../../server/src/features/bpftrace/diagnostics';
import { context, docOf, fixtureText } from './helpers';

const debian12 = context(['debian-12']);

function codes(ds: Diagnostic[]): string[] {
  return ds.map((d) => String(d.code));
}

function at(ds: Diagnostic[], line: number): Diagnostic[] {
  return ds.filter((d) => d.range.start.line === line);
}

test('debian-12: kprobe:blk_account_io_start is an error (fully inlined) suggesting the block tracepoint', () => {
  const ds = diagnosticsBpftrace(docOf('kprobe:blk_account_io_start\n{\n  @[comm] = count();\n}\n'), debian12);
  const d = ds.find((x) => x.code === 'fully-inlined' || x.code === 'absent');
  assert.ok(d, JSON.stringify(ds));
  assert.equal(d.severity, DiagnosticSeverity.Error);
  assert.equal(d.code, 'fully-inlined');
  assert.match(d.message, /debian-12/);
  assert.match(d.message, /tracepoint:block:block_rq_issue/);
  assert.deepEqual(d.range, { start: { line: 0, character: 7 }, end: { line: 0, character: 27 } });
  assert.ok(d.codeDescription?.href.endsWith('#fully-inlined'));
  assert.ok(d.relatedInformation?.some((r) => /debian-12/.test(r.message)));
});

test('biosnoop fixture: both accounting kprobes fail on debian-12, BEGIN/END say nothing', () => {
  const ds = diagnosticsBpftrace(docOf(fixtureText('biosnoop.bt')), debian12);
  const summary = ds.map((d) => [d.range.start.line, d.code, d.severity]);
  // The start pair (lines 13, 14): neither attaches on 6.1, so both are errors.
  assert.deepEqual(at(ds, 13).map((d) => [d.code, d.severity]), [['fully-inlined', DiagnosticSeverity.Error]], JSON.stringify(summary));
  assert.deepEqual(at(ds, 14).map((d) => [d.code, d.severity]), [['absent', DiagnosticSeverity.Error]]);
  assert.match(at(ds, 13)[0].message, /tracepoint:block:block_rq_issue/);
  // The done pair (21, 22): blk_account_io_done attaches (with a hint towards block_rq_complete);
  // the missing __ twin is a warning: its sibling covers debian-12 where bpftrace skips missing
  // probes, but the script does not set missing_probes and current bpftrace defaults to error.
  assert.deepEqual(at(ds, 21).map((d) => [d.code, d.severity]), [['prefer-tracepoint', DiagnosticSeverity.Hint]]);
  assert.deepEqual(at(ds, 22).map((d) => [d.code, d.severity]), [['absent', DiagnosticSeverity.Warning]]);
  assert.match(at(ds, 22)[0].message, /needs missing_probes = "warn" to be skipped .* on debian-12/);
  assert.equal(at(ds, 9).length, 0);
  assert.ok(!ds.some((d) => d.code === 'syntax'));
});

test('tcpdrop fixture: kprobe:tcp_drop is absent on debian-12 with tracepoint:skb:kfree_skb suggested', () => {
  const ds = diagnosticsBpftrace(docOf(fixtureText('tcpdrop.bt')), debian12);
  const d = ds.find((x) => x.range.start.line === 18);
  assert.ok(d, JSON.stringify(ds));
  assert.equal(d.severity, DiagnosticSeverity.Error);
  assert.match(d.message, /tracepoint:skb:kfree_skb/);
});

test('stable tool-style scripts are clean on debian-12 (tracepoints, syscalls, fields)', () => {
  for (const name of ['runqlat.bt', 'opensnoop.bt', 'biosnoop-tp.bt', 'tcpdrop-tp.bt']) {
    const ds = diagnosticsBpftrace(docOf(fixtureText(name)), debian12);
    const bad = ds.filter((d) => d.severity === DiagnosticSeverity.Error || d.severity === DiagnosticSeverity.Warning);
    assert.deepEqual(bad.map((d) => d.message), [], name);
  }
});

test('a misspelt function is absent, and the message lists the closest names', () => {
  const ds = diagnosticsBpftrace(docOf('kprobe:vfs_raed { @ = count(); }'), debian12);
  const d = ds.find((x) => x.code === 'absent');
  assert.ok(d, JSON.stringify(ds));
  assert.match(d.message, /vfs_read/);
});

test('wildcards: matches counted per target; no match is an error', () => {
  const ds = diagnosticsBpftrace(docOf('kprobe:vfs_read* { @[func] = count(); }\nkprobe:zzz_no_such_fn_* { }\n'), debian12);
  const info = ds.find((d) => d.code === 'pattern-matches');
  assert.ok(info, JSON.stringify(ds));
  const n = Number(/matches functions: (\d+) on debian-12/.exec(info.message)?.[1]);
  assert.ok(n >= 2, info.message);
  const none = ds.find((d) => d.code === 'absent');
  assert.ok(none);
  assert.equal(none.range.start.line, 1);
  assert.match(none.message, /matches no function on debian-12/);
});

test('wildcards over the kprobe blacklist report the skipped functions', () => {
  // Syscall entry code and kprobe internals are NOKPROBE: a broad pattern meets some of them.
  const ds = diagnosticsBpftrace(docOf('kprobe:kprobe_* { @[func] = count(); }'), debian12);
  const d = ds.find((x) => x.code === 'kprobe-blacklist');
  assert.ok(d, JSON.stringify(ds.map((x) => x.message)));
  assert.equal(d.severity, DiagnosticSeverity.Warning);
  assert.match(d.message, /kprobe blacklist/);
});

test('args fields: a field the record lacks is an error naming the fields that exist', () => {
  const ds = diagnosticsBpftrace(docOf('tracepoint:sched:sched_switch { @[args.next_pidd] = count(); @[args.prev_pid] = count(); }'), debian12);
  const d = ds.filter((x) => x.code === 'field-missing');
  assert.equal(d.length, 1, JSON.stringify(ds));
  assert.equal(d[0].severity, DiagnosticSeverity.Error);
  assert.match(d[0].message, /next_pidd/);
  assert.match(d[0].message, /next_pid/);
});

test('fentry parameters are checked as args fields', () => {
  const text = 'fentry:vfs_read { @ = hist(args.count); @x = args.nope; }';
  const ds = diagnosticsBpftrace(docOf(text), debian12);
  const missing = ds.filter((x) => x.code === 'field-missing');
  assert.deepEqual(missing.map((d) => d.range.start.character), [text.indexOf('nope')]);
  assert.match(missing[0].message, /has no args field `nope` on any target\.$/);
  assert.ok(missing[0].relatedInformation?.some((r) => /^Fields: file, buf, count and pos\.$/.test(r.message)), JSON.stringify(missing[0].relatedInformation));
});

test('retval in a probe without a return value is reported', () => {
  const ds = diagnosticsBpftrace(docOf('kprobe:vfs_read { @ = hist(retval); }\nkretprobe:vfs_read { @r = hist(retval); }\n'), debian12);
  const d = ds.filter((x) => x.code === 'retval-unavailable');
  assert.equal(d.length, 1);
  assert.equal(d[0].range.start.line, 0);
});

test('a stable probe with an equivalent tracepoint gets a hint', () => {
  const ds = diagnosticsBpftrace(docOf('kprobe:tcp_retransmit_skb { @ = count(); }'), debian12);
  const hint = ds.find((d) => d.severity === DiagnosticSeverity.Hint);
  assert.ok(hint, JSON.stringify(ds));
  assert.equal(hint.code, 'prefer-tracepoint');
  assert.match(hint.message, /tracepoint:tcp:tcp_retransmit_skb/);
});

test('suppression comments silence all or named codes on the next probe', () => {
  const all = diagnosticsBpftrace(docOf('// bpf-atlas-ignore\nkprobe:blk_account_io_start { }'), debian12);
  assert.deepEqual(codes(all), []);
  const named = diagnosticsBpftrace(docOf('kprobe:blk_account_io_start { } // bpf-atlas-ignore: fully-inlined'), debian12);
  assert.deepEqual(codes(named), []);
  const other = diagnosticsBpftrace(docOf('// bpf-atlas-ignore: absent\nkprobe:blk_account_io_start { }'), debian12);
  assert.deepEqual(codes(other), ['fully-inlined']);
});

test('severity overrides from settings apply to hazard codes', () => {
  const ctx = context(['debian-12'], { severity: { 'fully-inlined': 'off' } });
  const ds = diagnosticsBpftrace(docOf('kprobe:blk_account_io_start { }'), ctx);
  assert.deepEqual(codes(ds), []);
});

test('broken.bt: syntax errors and atlas findings together, no exception', () => {
  const ds = diagnosticsBpftrace(docOf(fixtureText('broken.bt')), debian12);
  assert.ok(ds.some((d) => d.code === 'syntax' && /Unknown probe type 'bogus'/.test(d.message)));
  assert.ok(ds.some((d) => d.code === 'syntax' && /Incomplete probe tracepoint:syscalls:/.test(d.message)));
  // The recovered blocks are still analysed: do_nanosleep (line 3) attaches, with the fentry hint.
  assert.ok(ds.some((d) => d.range.start.line === 3 && d.code === 'prefer-fentry'), JSON.stringify(ds.map((d) => [d.range.start.line, d.code])));
  // Brace expansion: tcp_sendmsg and tcp_recvmsg both exist, so no error on that line.
  assert.ok(!ds.some((d) => d.range.start.line === 26 && d.severity === DiagnosticSeverity.Error));
});

// ---- several target kernels: bundled Ubuntu (DepSurf) and Debian atlases together ----

const mixed = context(['ubuntu-20.04', 'ubuntu-22.04', 'debian-12']);

test('several targets: blk_account_io_start is an error naming debian-12, with what is known of ubuntu-22.04', () => {
  const ds = diagnosticsBpftrace(docOf('kprobe:blk_account_io_start { @ = count(); }'), mixed);
  const d = ds.find((x) => x.code === 'fully-inlined');
  assert.ok(d, JSON.stringify(ds));
  assert.equal(d.severity, DiagnosticSeverity.Error);
  assert.match(d.message, /does not attach on debian-12 \(fully inlined\)/);
  // DepSurf's selective-inline label names no inlined caller there: said as information.
  assert.ok((d.relatedInformation ?? []).some((r) => /^ubuntu-22\.04 \(5\.15\): .*selectively inlined .*not confirmed/.test(r.message)), JSON.stringify(d.relatedInformation));
  assert.ok(d.relatedInformation!.some((r) => /^ubuntu-22\.04/.test(r.message)));
});

test('several targets: a record field added later is a warning naming the kernels without it', () => {
  const ds = diagnosticsBpftrace(docOf(fixtureText('tcpdrop-tp.bt')), mixed);
  const d = ds.filter((x) => x.code === 'field-missing');
  assert.equal(d.length, 1, JSON.stringify(ds));
  assert.equal(d[0].severity, DiagnosticSeverity.Warning);
  assert.match(d[0].message, /`reason` on ubuntu-20\.04 and ubuntu-22\.04\.$/);
  assert.ok(d[0].relatedInformation?.some((r) => /^It exists on debian-12 \(6\.1\)\.$/.test(r.message)), JSON.stringify(d[0].relatedInformation));
});

test('several targets: the same C type spelt two ways is not a change; runqlat stays clean', () => {
  const ds = diagnosticsBpftrace(docOf(fixtureText('runqlat.bt')), mixed);
  assert.deepEqual(ds.map((d) => d.message), []);
});

test('several targets: fentry on a kernel without BTF is an error (no-btf)', () => {
  const ds = diagnosticsBpftrace(docOf('fentry:vfs_read { @ = hist(args.count); }'), mixed);
  const d = ds.find((x) => x.code === 'no-btf');
  assert.ok(d, JSON.stringify(ds));
  assert.equal(d.severity, DiagnosticSeverity.Error);
  assert.match(d.message, /ubuntu-20\.04/);
});

test('several targets: wildcard counts per kernel', () => {
  const ds = diagnosticsBpftrace(docOf('kprobe:vfs_write* { }'), mixed);
  const d = ds.find((x) => x.code === 'pattern-matches');
  assert.ok(d);
  assert.match(d.message, /matches functions: \d+ on ubuntu-20\.04, \d+ on ubuntu-22\.04 and debian-12\.$/);
  assert.deepEqual(d.relatedInformation?.map((r) => r.message.split(':')[0]).slice(0, 3), ['ubuntu-20.04 (5.4)', 'ubuntu-22.04 (5.15)', 'debian-12 (6.1)']);
});

test('wildcard tracepoints: args must exist in every matched event', () => {
  const ok = diagnosticsBpftrace(docOf(fixtureText('execsnoop.bt')), debian12);
  assert.ok(!ok.some((d) => d.code === 'field-missing'), JSON.stringify(ok));
  const ds = diagnosticsBpftrace(docOf('tracepoint:syscalls:sys_enter_open* { @[str(args.filename)] = count(); }'), debian12);
  const d = ds.find((x) => x.code === 'field-missing');
  assert.ok(d, JSON.stringify(ds));
  assert.match(d.message, /without args field `filename`: sys_enter_open_by_handle_at\.$/);
  assert.ok(d.relatedInformation?.some((r) => r.message === 'sys_enter_open_by_handle_at has no field filename on debian-12.'), JSON.stringify(d.relatedInformation));
});

test('a tracepoint under the wrong system gets the right one as a fix in the message', () => {
  const ds = diagnosticsBpftrace(docOf('tracepoint:syscalls:sched_switch { }'), debian12);
  const d = ds.find((x) => x.severity === DiagnosticSeverity.Error);
  assert.ok(d, JSON.stringify(ds));
  assert.match(d.message, /tracepoint:sched:sched_switch/);
});

test('several targets: a wildcard over syscall events counts its matches on every target', () => {
  // The Ubuntu atlases derive syscall events from each image's syscall table; Debian's are read
  // from the image. Both must match execve and execveat.
  const ds = diagnosticsBpftrace(docOf(fixtureText('execsnoop.bt')), context(['ubuntu-22.04', 'debian-12']));
  assert.ok(!ds.some((d) => d.severity === DiagnosticSeverity.Error), JSON.stringify(ds.map((d) => d.message)));
  const info = ds.find((d) => d.code === 'pattern-matches');
  assert.ok(info);
  assert.match(info.message, /matches events: 2 on ubuntu-22\.04 and debian-12\.$/);
});

test('several targets: argN of a kprobe whose parameter changed type is a signature-changed warning', () => {
  // mem_cgroup_migrate took pages on 5.15 and folios on 6.1.
  const ctx = context(['ubuntu-22.04', 'debian-12']);
  const ds = diagnosticsBpftrace(docOf('kprobe:mem_cgroup_migrate { @[arg0] = count(); }\nkprobe:vfs_read { @[arg0] = count(); }\n'), ctx);
  const d = ds.filter((x) => x.code === 'signature-changed');
  assert.equal(d.length, 1, JSON.stringify(ds));
  assert.equal(d[0].range.start.line, 0);
  assert.match(d[0].message, /struct page \* on ubuntu-22\.04, struct folio \* on debian-12\.$/);
});

test('wildcards: compiler clones are named, notrace matches are reported', () => {
  const clone = diagnosticsBpftrace(docOf('kprobe:finish_task_switch* { @ = count(); }'), debian12);
  assert.deepEqual(codes(clone), ['pattern-matches']);
  assert.match(clone[0].message, /some compiler-renamed\.$/);
  assert.ok(clone[0].relatedInformation?.some((r) => /^Compiler-renamed symbols among them: finish_task_switch\.isra\.0/.test(r.message)), JSON.stringify(clone[0].relatedInformation));
  const notrace = diagnosticsBpftrace(docOf('kprobe:rcu_* { @[func] = count(); }'), debian12).find((d) => d.code === 'notrace');
  assert.ok(notrace);
  assert.equal(notrace.severity, DiagnosticSeverity.Warning);
  assert.match(notrace.message, /have no ftrace site \(notrace\) and will not be traced: .*rcu_is_watching/);
  // fentry attaches by BTF name: the clone's base function is not in BTF on debian-12.
  const fentry = diagnosticsBpftrace(docOf('fentry:finish_task_switch* { }'), debian12);
  assert.deepEqual(codes(fentry).sort(), ['absent', 'no-btf']);
  assert.match(fentry.find((d) => d.code === 'no-btf')!.message, /^1 function matching fentry:finish_task_switch\* is not in the kernel BTF/);
});

test('missing_probes: unset is a warning naming both behaviours, warn/ignore information, error an error', () => {
  const list = 'kprobe:blk_account_io_done,\nkprobe:__blk_account_io_done\n{ @ = count(); }\n';
  const unset = diagnosticsBpftrace(docOf(list), debian12).find((d) => d.range.start.line === 1)!;
  assert.equal(unset.severity, DiagnosticSeverity.Warning);
  assert.match(unset.message, /needs missing_probes = "warn" to be skipped \(older bpftrace skips it; current docs default to error\)/);
  assert.ok(unset.relatedInformation!.some((r) => /older versions\) skips it there; with missing_probes = error .* the script fails: set config = \{ missing_probes = "warn" \}/.test(r.message)));
  for (const mode of ['warn', 'ignore']) {
    const tolerant = diagnosticsBpftrace(docOf(`config = { missing_probes = ${mode} }\n` + list), debian12).find((d) => d.range.start.line === 2)!;
    assert.equal(tolerant.severity, DiagnosticSeverity.Information, mode);
    assert.match(tolerant.message, new RegExp(`missing_probes = ${mode}\\) on debian-12`));
  }
  // A wildcard of a list that matches nothing where its sibling attaches follows the same rule.
  const wild = diagnosticsBpftrace(docOf('kprobe:lookup_fast,\nkprobe:lookup_fast.constprop.*\n{ @ = count(); }\n'), debian12).find((d) => d.range.start.line === 1 && d.code === 'absent')!;
  assert.equal(wild.severity, DiagnosticSeverity.Warning);
  const strict = diagnosticsBpftrace(docOf('config = { missing_probes = "error" }\n' + list), debian12).find((d) => d.range.start.line === 2)!;
  assert.equal(strict.severity, DiagnosticSeverity.Error);
  assert.equal(strict.code, 'absent');
});
