// The vmlinux data walks on the debian-12 image, compared with the reference extraction
// (test/fixtures/oracle/debian-12.json) and the figures of KERNEL-DATA.md.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseElf } from '../../../server/src/kernel/elf';
import { imageBtf } from '../../../server/src/kernel/imageFacts';
import { decodeKallsyms } from '../../../server/src/kernel/kallsymsImage';
import { VmlinuxImage } from '../../../server/src/kernel/vmlinux';
import { debianVmlinux, oracle } from '../../../scripts/debian/testInputs';

interface OracleField { type: string; name: string; offset: number; size: number; signed: number }
interface OracleEvent { system: string; name: string; cls: string; tp: boolean; fields: OracleField[]; print_fmt: string }
interface Oracle { ftraceFunctions: number; kprobeBlacklist: string[]; events: OracleEvent[] }

describe('vmlinux walks on debian-12', () => {
  const vm = debianVmlinux('debian-12');
  const elf = parseElf(vm.bytes, vm.file);
  const btf = imageBtf(elf);
  const img = new VmlinuxImage(elf, btf, decodeKallsyms(elf).symbols);
  const want = oracle<Oracle>('debian-12.json');

  it('__mcount_loc gives the ftrace-able functions', () => {
    const mc = img.mcount();
    assert.equal(mc.entries, 40_521);
    assert.equal(mc.inInitText, 2_269);
    assert.equal(mc.functions.size, want.ftraceFunctions);
    assert.ok(mc.functions.has('vfs_read'));
    assert.ok(!mc.functions.has('__schedule'), '__schedule is notrace');
  });

  it('the kprobe blacklist equals the reference (379 functions)', () => {
    const bl = img.kprobeBlacklist();
    assert.equal(bl.entries, 178);
    assert.deepEqual(bl.ranges, { kprobes: 0, noinstr: 156, entry: 99, irqentry: 54 });
    assert.deepEqual([...bl.functions].sort(), want.kprobeBlacklist);
    assert.equal(bl.functions.size, 379);
  });

  it('lists every struct tracepoint and raw tracepoint template', () => {
    assert.equal(img.tracepoints().length, 639);
    const raw = img.rawTracepoints();
    assert.equal(raw.length, 639);
    assert.equal(raw.find((r) => r.name === 'block_rq_issue')?.template, 'block_rq');
    assert.deepEqual(btf.btfTraceArgs('sched_switch', raw.find((r) => r.name === 'sched_switch')?.template)?.map((a) => a.name),
      ['preempt', 'prev', 'next', 'prev_state']);
  });

  it('trace events equal the reference extraction field by field', () => {
    const events = img.traceEvents();
    assert.equal(events.length, 1_506);
    assert.equal(events.filter((e) => e.tracepoint).length, 628);
    assert.equal(events.filter((e) => e.system === 'syscalls').length, 860);
    assert.equal(new Set(events.map((e) => e.system)).size, 97);
    assert.equal(want.events.length, 4);
    for (const o of want.events) {
      const e = events.find((x) => x.system === o.system && x.name === o.name);
      assert.ok(e, `${o.system}:${o.name}`);
      assert.equal(e.template, o.cls.replace(/^event_class_/, ''));
      assert.equal(e.tracepoint, o.tp);
      if (o.print_fmt) assert.equal(e.fmt, o.print_fmt);
      assert.deepEqual(e.fields, o.fields.map((f) => ({
        name: f.name, type: img.resolveTypeMacros(f.type), offset: f.offset, size: f.size, signed: f.signed === 1,
      })), `${o.system}:${o.name} fields`);
    }
    const rq = events.find((x) => x.name === 'block_rq_issue')!;
    assert.deepEqual(rq.fields?.find((f) => f.name === 'cmd'), { name: 'cmd', type: '__data_loc char[]', offset: 56, size: 4, signed: true });
    const sw = events.find((x) => x.name === 'sched_switch')!;
    assert.equal(sw.fields?.[0].type, 'char[16]', 'TASK_COMM_LEN resolved through the BTF enum');
  });

  it('syscall metadata gives typed arguments', () => {
    const open = img.syscalls().find((s) => s.name === 'openat');
    assert.deepEqual(open?.args, [
      { type: 'int', name: 'dfd' }, { type: 'const char *', name: 'filename' }, { type: 'int', name: 'flags' }, { type: 'umode_t', name: 'mode' },
    ]);
  });
});
