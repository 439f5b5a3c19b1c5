// BTF reader tests on real kernel bytes: the running kernel's /sys/kernel/btf/vmlinux checked type
// by type against bpftool's raw dump (or, without bpftool, against a committed oracle of the same
// blob), a Debian 6.1 module's split BTF on top of that image's vmlinux BTF, the same blob
// byte-swapped to big-endian, and truncated / corrupted / random input, which must give a
// KernelDataError naming the file and nothing else.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseBtf, BtfKind, Btf } from '../../../server/src/kernel/btf';
import { KernelDataError } from '../../../server/src/kernel/errors';
import { renderProto } from '../../../server/src/atlas/model';
import { debian61Ext4 } from './debian61';
import { debianVmlinux } from '../../../scripts/debian/testInputs';
import { parseElf } from '../../../server/src/kernel/elf';
import { repoRoot } from '../../repoRoot';

const LIVE = '/sys/kernel/btf/vmlinux';

const ROOT = repoRoot();
const ORACLE_DIR = path.join(ROOT, 'test/fixtures/kernel/btf');

function readable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** bpftool when installed (BPF_ATLAS_NO_BPFTOOL=1 exercises the committed-oracle path). */
function bpftool(): string | undefined {
  if (process.env.BPF_ATLAS_NO_BPFTOOL) return undefined;
  for (const c of ['bpftool', '/usr/sbin/bpftool', '/sbin/bpftool', path.join(ROOT, '.cache/tools/bpftool/usr/sbin/bpftool')]) {
    const r = spawnSync(c, ['version'], { encoding: 'utf8' });
    if (!r.error && r.status === 0) return c;
  }
  return undefined;
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

// ---- bpftool raw dump, parsed into the facts the comparison checks

interface DumpType {
  id: number;
  kind: string;
  name: string;
  typeId?: number;
  lines: string[];
}

function bpftoolDump(tool: string, file: string, base?: string): DumpType[] {
  const args = base ? ['-B', base, 'btf', 'dump', 'file', file] : ['btf', 'dump', 'file', file];
  const r = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  assert.equal(r.status, 0, `bpftool failed: ${r.stderr}`);
  const out: DumpType[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^\[(\d+)\] (\w+) '([^']*)'(.*)$/.exec(line);
    if (m) {
      const t = /\btype_id=(\d+)/.exec(m[4]) ?? /\bret_type_id=(\d+)/.exec(m[4]);
      out.push({ id: +m[1], kind: m[2], name: m[3] === '(anon)' ? '' : m[3], typeId: t ? +t[1] : undefined, lines: [] });
    } else if (line.startsWith('\t') && out.length) {
      out[out.length - 1].lines.push(line.slice(1));
    }
  }
  return out;
}

/** Our view of one type, in bpftool's words, for the kinds whose detail lines we check. */
function ourLines(b: Btf, id: number): string[] | undefined {
  const k = b.kind(id);
  const nm = (s: string) => (s === '' ? '(anon)' : s);
  if (k === BtfKind.STRUCT || k === BtfKind.UNION) {
    return b.members(id).map((m) => `'${nm(m.name)}' type_id=${m.type} bits_offset=${m.bitOffset}${m.bitSize ? ` bitfield_size=${m.bitSize}` : ''}`);
  }
  if (k === BtfKind.FUNC_PROTO) return b.params(id).map((p) => `'${nm(p.name)}' type_id=${p.type}`);
  // bpftool spells 64-bit enumerators with a C suffix.
  const suffix = k === BtfKind.ENUM64 ? (b.kindFlag(id) ? 'LL' : 'ULL') : '';
  if (k === BtfKind.ENUM || k === BtfKind.ENUM64) return b.enumerators(id).map((e) => `'${e.name}' val=${e.value}${suffix}`);
  return undefined;
}

function compareWithDump(b: Btf, dump: DumpType[]): void {
  assert.equal(dump.length, b.count - b.firstId + 1, 'type count equals bpftool');
  assert.equal(dump[0].id, b.firstId, 'first type id equals bpftool');
  let mismatches = 0;
  for (const d of dump) {
    const problems: string[] = [];
    if (b.kindName(d.id) !== d.kind) problems.push(`kind ${b.kindName(d.id)}`);
    if (b.name(d.id) !== d.name) problems.push(`name ${b.name(d.id)}`);
    const ref = b.kind(d.id) === BtfKind.ARRAY ? b.array(d.id).elem : b.sizeOrTypeOf(d.id);
    if (d.typeId !== undefined && d.kind !== 'DATASEC' && ref !== d.typeId) problems.push(`type ${ref}`);
    const ours = ourLines(b, d.id);
    if (ours && ours.join('\n') !== d.lines.join('\n')) problems.push(`detail ${ours.join('; ')} vs ${d.lines.join('; ')}`);
    if (problems.length && mismatches++ < 5) assert.fail(`type [${d.id}] ${d.kind} '${d.name}': ${problems.join(', ')}`);
  }
  assert.equal(mismatches, 0);
}

// ---- the running kernel

const liveSkip = readable(LIVE) ? false : `${LIVE} is not readable on this machine`;

test('live BTF: vfs_read renders as the kernel declares it', { skip: liveSkip }, () => {
  const b = parseBtf(fs.readFileSync(LIVE), { file: LIVE });
  const p = b.funcProto('vfs_read');
  assert.ok(p, 'BTF has FUNC vfs_read');
  assert.equal(renderProto('vfs_read', p), 'ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)');
  assert.deepEqual(p.params.map((x) => x.type), ['struct file *', 'char *', 'size_t', 'loff_t *']);
  assert.equal(b.typeName(b.resolve(b.findByName('TYPEDEF', 'size_t')!)), 'long unsigned int');
  assert.equal(b.sizeOf(b.findByName('TYPEDEF', 'loff_t')!), 8);
});

test('live BTF: every type equals bpftool raw dump (or the committed oracle of this blob)', { skip: liveSkip }, (t) => {
  const bytes = fs.readFileSync(LIVE);
  const b = parseBtf(bytes, { file: LIVE });
  const tool = bpftool();
  const oracleFile = path.join(ORACLE_DIR, 'live-oracle.json');
  if (tool) {
    const dump = bpftoolDump(tool, LIVE);
    compareWithDump(b, dump);
    if (process.env.BTF_ORACLE_WRITE) writeOracle(oracleFile, tool, bytes, b, dump);
    return;
  }
  const oracle = JSON.parse(fs.readFileSync(oracleFile, 'utf8')) as Oracle;
  if (oracle.sha256 !== sha256(bytes)) {
    t.skip(`no bpftool, and the committed oracle is for another kernel (${oracle.release})`);
    return;
  }
  checkOracle(b, oracle);
});

interface Oracle {
  how: string;
  release: string;
  sha256: string;
  count: number;
  kinds: Record<string, number>;
  samples: { id: number; kind: string; name: string; typeId?: number; lines: string[] }[];
}

const ORACLE_SAMPLES = ['vfs_read', 'finish_task_switch', 'do_sys_open', 'ext4_file_read_iter', 'ext4_sync_file', 'ext4_map_blocks'];

function writeOracle(file: string, tool: string, bytes: Uint8Array, b: Btf, dump: DumpType[]): void {
  const kinds: Record<string, number> = {};
  for (const d of dump) kinds[d.kind] = (kinds[d.kind] ?? 0) + 1;
  const samples: Oracle['samples'] = [];
  for (const name of ORACLE_SAMPLES) {
    const fn = dump.find((d) => d.kind === 'FUNC' && d.name === name);
    if (!fn) continue;
    samples.push(fn);
    const proto = dump.find((d) => d.id === fn.typeId);
    if (proto) samples.push(proto);
  }
  const version = spawnSync(tool, ['version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  const oracle: Oracle = {
    how: `BTF_ORACLE_WRITE=1 TEST_ONLY=btf node scripts/run-tests.mjs unit, from \`${version}${b.base ? ' -B <image vmlinux .BTF>' : ''} btf dump file <blob>\` (blob: the .BTF bytes named in release)`,
    release: b.file === LIVE ? fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim() : path.relative(ROOT, b.file),
    sha256: sha256(bytes),
    count: b.count,
    kinds,
    samples,
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(oracle, null, 1) + '\n');
}

function checkOracle(b: Btf, oracle: Oracle): void {
  assert.equal(b.count, oracle.count);
  const kinds: Record<string, number> = {};
  for (const id of b.ids()) kinds[b.kindName(id)] = (kinds[b.kindName(id)] ?? 0) + 1;
  assert.deepEqual(kinds, oracle.kinds);
  compareSamples(b, oracle.samples);
}

function compareSamples(b: Btf, samples: Oracle['samples']): void {
  assert.ok(samples.length >= 2);
  for (const s of samples) {
    assert.equal(b.kindName(s.id), s.kind, `kind of [${s.id}]`);
    assert.equal(b.name(s.id), s.name, `name of [${s.id}]`);
    if (s.typeId !== undefined && s.kind !== 'ARRAY' && s.kind !== 'DATASEC') assert.equal(b.sizeOrTypeOf(s.id), s.typeId);
    const ours = ourLines(b, s.id);
    if (ours) assert.deepEqual(ours, s.lines);
  }
}

test('live BTF: raw tracepoint args, trace event struct, enum, kfunc tags', { skip: liveSkip }, () => {
  const b = parseBtf(fs.readFileSync(LIVE), { file: LIVE });
  // sched_switch is its own template: names come from FUNC __bpf_trace_sched_switch.
  const args = b.btfTraceArgs('sched_switch');
  assert.ok(args);
  const fn = b.funcProto('__bpf_trace_sched_switch');
  assert.ok(fn, 'BTF has __bpf_trace_sched_switch');
  assert.deepEqual(args, fn.params.slice(1));
  assert.ok(args.some((a) => a.type === 'struct task_struct *' && a.name === 'prev'));
  // A template that does not match gives unnamed args rather than wrong names.
  const unnamed = b.btfTraceArgs('sched_switch', 'no_such_template');
  assert.deepEqual(unnamed?.map((a) => a.name), args.map((_, i) => `arg${i}`));
  assert.equal(b.btfTraceArgs('no_such_tracepoint'), undefined);

  const fields = b.structFields('trace_event_raw_sched_switch');
  assert.ok(fields);
  const comm = fields.find((f) => f.name === 'prev_comm');
  assert.deepEqual(comm && { type: comm.type, offset: comm.offset, size: comm.size }, { type: 'char[16]', offset: 8, size: 16 });
  assert.ok(!fields.some((f) => f.name === 'ent' || f.name === '__data'));

  // A __data_loc field of a real event, reported under its own name.
  const withLoc = [...b.ids('STRUCT')].map((id) => b.name(id)).filter((n) => n.startsWith('trace_event_raw_'))
    .find((n) => b.members(b.findByName('STRUCT', n)!).some((m) => m.name.startsWith('__data_loc_')));
  assert.ok(withLoc, 'some trace event struct has a __data_loc field');
  const locField = b.structFields(withLoc)!.find((f) => f.type.startsWith('__data_loc '));
  assert.ok(locField && !locField.name.startsWith('__data_loc_') && locField.size === 4);

  // Enumerator values agree with the enum that declares them.
  const tpFlag = [...b.ids('ENUM')].flatMap((id) => b.enumerators(id)).find((e) => e.name === 'TRACE_EVENT_FL_TRACEPOINT');
  assert.ok(tpFlag, 'an enum declares TRACE_EVENT_FL_TRACEPOINT');
  assert.equal(b.enumValue('TRACE_EVENT_FL_TRACEPOINT'), tpFlag.value);
  assert.equal(b.enumValue('NO_SUCH_ENUMERATOR_X'), undefined);

  // Members found through anonymous unions, offsets summed.
  const call = b.member('trace_event_call', 'tp');
  assert.ok(call, 'trace_event_call.tp sits in an anonymous union');
  const direct = b.members(b.structId('trace_event_call')!).find((m) => m.name === 'tp');
  assert.equal(direct, undefined, 'tp is not a direct member');
  // A dotted path walks into named members and sums their offsets.
  const list = b.member('trace_event_call', 'list');
  const next = b.member('trace_event_call', 'list.next');
  assert.ok(list && next);
  assert.equal(next.bitOffset, list.bitOffset + b.member('list_head', 'next')!.bitOffset);
  assert.equal(b.member('trace_event_call', 'list.no_such_member'), undefined);

  // kfuncs: every tagged name is a FUNC.
  const kfuncs = b.declTags('bpf_kfunc');
  const kinds = new Set(kfuncs.map((n) => b.findByName('FUNC', n) !== undefined));
  if (kfuncs.length) assert.deepEqual([...kinds], [true]);
});

test('big-endian BTF (the same blob byte-swapped) reads the same', { skip: liveSkip }, () => {
  const le = new Uint8Array(fs.readFileSync(LIVE));
  const be = toBigEndian(le);
  const a = parseBtf(le, { file: LIVE });
  const b = parseBtf(be, { file: 'swapped' });
  assert.equal(b.littleEndian, false);
  assert.equal(b.count, a.count);
  let n = 0;
  for (const f of a.funcs()) {
    if (n++ % 97) continue;
    assert.equal(renderProto(f.name, b.funcProto(f.name)!), renderProto(f.name, a.proto(f.protoId)));
  }
  assert.deepEqual(b.structFields('trace_event_raw_sched_switch'), a.structFields('trace_event_raw_sched_switch'));
});

/** Every BTF header field after the magic/version/flags, and every type-section word, is 32-bit. */
function toBigEndian(le: Uint8Array): Uint8Array {
  const out = new Uint8Array(le);
  const v = new DataView(le.buffer, le.byteOffset, le.byteLength);
  const w = new DataView(out.buffer);
  w.setUint16(0, v.getUint16(0, true), false);
  for (let o = 4; o < 24; o += 4) w.setUint32(o, v.getUint32(o, true), false);
  const hdr = v.getUint32(4, true);
  const start = hdr + v.getUint32(8, true);
  const end = start + v.getUint32(12, true);
  for (let o = start; o < end; o += 4) w.setUint32(o, v.getUint32(o, true), false);
  return out;
}

// ---- split BTF: a Debian 6.1 module on top of that image's vmlinux BTF

test('split BTF: Debian 6.1 ext4.ko on top of the image vmlinux BTF', () => {
  const pair = debian61Ext4();
  const base = parseBtf(pair.base, { file: pair.baseFile });
  const mod = parseBtf(pair.module, { file: pair.moduleFile, base });
  assert.equal(mod.firstId, base.count + 1);
  const p = mod.funcProto('ext4_file_read_iter');
  assert.ok(p);
  // struct kiocb and struct iov_iter are base types, named from base strings.
  assert.equal(renderProto('ext4_file_read_iter', p), 'ssize_t ext4_file_read_iter(struct kiocb *iocb, struct iov_iter *to)');
  // A module trace event struct, read through the module's own strings.
  assert.ok(mod.structFields('trace_event_raw_ext4_da_write_pages')?.some((f) => f.name === 'first_page'));
  assert.ok(mod.btfTraceArgs('ext4_da_write_pages')?.some((a) => a.name === 'wbc'));
  const funcs = [...mod.funcs()];
  assert.ok(funcs.every((f) => f.id > base.count));
  const tool = bpftool();
  const oracleFile = path.join(ORACLE_DIR, 'debian-6.1-ext4-oracle.json');
  if (tool) {
    compareWithDump(base, bpftoolDump(tool, pair.baseFile));
    const dump = bpftoolDump(tool, pair.moduleFile, pair.baseFile);
    compareWithDump(mod, dump);
    if (process.env.BTF_ORACLE_WRITE) writeOracle(oracleFile, tool, pair.module, mod, dump);
  } else {
    checkOracle(mod, JSON.parse(fs.readFileSync(oracleFile, 'utf8')) as Oracle);
  }
});

// ---- every Debian kernel's vmlinux BTF (5.10 has no ENUM64/DECL_TAG; 7.2 adds TYPE_TAG)

for (const id of ['debian-11', 'debian-13', 'debian-sid']) {
  test(`${id} vmlinux BTF equals bpftool type by type`, (t) => {
    const vm = debianVmlinux(id);
    const elf = parseElf(vm.bytes, vm.file);
    const section = elf.section('.BTF');
    assert.ok(section, `${vm.file} has .BTF`);
    const bytes = elf.sectionBytes(section);
    const b = parseBtf(bytes, { file: `${vm.file} .BTF` });
    const vfsRead = b.funcProto('vfs_read');
    assert.ok(vfsRead);
    assert.equal(renderProto('vfs_read', vfsRead), 'ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)');
    const tool = bpftool();
    if (!tool) {
      t.skip('bpftool is not installed: the type-by-type comparison needs it');
      return;
    }
    const dir = path.join(ROOT, '.cache', 'test-kernel', id);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'vmlinux.btf');
    if (!fs.existsSync(file)) {
      fs.writeFileSync(`${file}.${process.pid}`, bytes);
      fs.renameSync(`${file}.${process.pid}`, file);
    }
    compareWithDump(b, bpftoolDump(tool, file));
  });
}

// ---- bad input: always a KernelDataError naming the file

/**
 * A tiny hand-built BTF: int, a typedef to it, a typedef that can name itself (a cycle), and a
 * function prototype whose only parameter can point back to the prototype itself.
 */
function tinyBtf(opts: { cycle?: boolean } = {}): Uint8Array {
  const strings = '\0int\0my_int\0loop\0';
  const words: number[] = [
    1, (BtfKind.INT << 24), 4, (1 << 24) | 32, // [1] INT 'int' size 4 signed 32 bits
    5, (BtfKind.TYPEDEF << 24), 1, // [2] TYPEDEF 'my_int' -> 1
    12, (BtfKind.TYPEDEF << 24), opts.cycle ? 3 : 2, // [3] TYPEDEF 'loop' -> itself
    0, (BtfKind.FUNC_PROTO << 24) | 1, 1, 0, opts.cycle ? 5 : 2, // [4] int (*)(param -> [5] or my_int)
    0, (BtfKind.PTR << 24), 4, // [5] PTR -> [4]
  ];
  const typeLen = words.length * 4;
  const buf = new Uint8Array(24 + typeLen + strings.length);
  const v = new DataView(buf.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, typeLen, true);
  v.setUint32(16, typeLen, true);
  v.setUint32(20, strings.length, true);
  words.forEach((w, i) => v.setUint32(24 + 4 * i, w >>> 0, true));
  buf.set(Buffer.from(strings, 'latin1'), 24 + typeLen);
  return buf;
}

function assertKde(fn: () => unknown, file: string, what: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KernelDataError, `expected KernelDataError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.ok(e.message.startsWith(file + ': '), e.message);
    assert.match(e.detail, what);
    return true;
  });
}

test('hand-built BTF reads; a typedef cycle is reported, not looped on', () => {
  const ok = parseBtf(tinyBtf(), { file: 'tiny.btf' });
  assert.equal(ok.count, 5);
  assert.equal(ok.typeName(5), 'int (*%)(my_int)');
  assert.equal(ok.typeName(3), 'loop');
  assert.equal(ok.resolve(3), 1);
  assert.equal(ok.sizeOf(3), 4);
  assert.equal(ok.isSigned(2), true);
  const bad = parseBtf(tinyBtf({ cycle: true }), { file: 'cycle.btf' });
  assertKde(() => bad.resolve(3), 'cycle.btf', /does not end/);
  assertKde(() => bad.sizeOf(3), 'cycle.btf', /does not end/);
  assertKde(() => bad.kind(99), 'cycle.btf', /out of range/);
  assertKde(() => bad.typeName(5), 'cycle.btf', /does not end/);
  assertKde(() => bad.proto(4), 'cycle.btf', /does not end/);
});

test('truncated, wrong-magic and garbage BTF give KernelDataError naming the file', () => {
  const good = tinyBtf();
  assertKde(() => parseBtf(new Uint8Array(0), { file: 'empty.btf' }), 'empty.btf', /too short/);
  assertKde(() => parseBtf(good.subarray(0, 30), { file: 'cut.btf' }), 'cut.btf', /runs past the end|truncated/);
  assertKde(() => parseBtf(good.subarray(0, good.length - 1), { file: 'cut.btf' }), 'cut.btf', /truncated/);
  const elf = new Uint8Array(64);
  elf.set([0x7f, 0x45, 0x4c, 0x46]);
  assertKde(() => parseBtf(elf, { file: 'vmlinux' }), 'vmlinux', /not BTF: magic/);
  const badKind = new Uint8Array(good);
  badKind[24 + 7] = 0x1f; // info of type 1: kind 31
  assertKde(() => parseBtf(badKind, { file: 'kind.btf' }), 'kind.btf', /unknown kind 31/);
  const badName = new Uint8Array(good);
  new DataView(badName.buffer).setUint32(24, 0xffffff, true);
  assertKde(() => parseBtf(badName, { file: 'name.btf' }), 'name.btf', /name offset/);
  const badRef = new Uint8Array(good);
  new DataView(badRef.buffer).setUint32(24 + 16 + 8, 77, true); // typedef my_int -> 77
  assertKde(() => parseBtf(badRef, { file: 'ref.btf' }).resolve(2), 'ref.btf', /past the last type/);
});

test('real BTF with random damage: only KernelDataError, never a RangeError or a hang', { skip: liveSkip }, () => {
  const bytes = new Uint8Array(fs.readFileSync(LIVE));
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const typeStart = v.getUint32(4, true) + v.getUint32(8, true);
  const typeEnd = typeStart + v.getUint32(12, true);
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let round = 0; round < 12; round++) {
    const damaged = new Uint8Array(bytes);
    // Stay in the first part of the type section so the walk below reaches the damaged types.
    for (let i = 0; i < 40; i++) damaged[typeStart + rand(Math.min(400_000, typeEnd - typeStart))] = rand(256);
    try {
      const b = parseBtf(damaged, { file: `damaged-${round}` });
      for (let id = 1; id <= Math.min(b.count, 6000); id++) {
        try {
          const k = b.kind(id);
          b.typeName(id);
          b.sizeOf(id);
          if (k === BtfKind.STRUCT || k === BtfKind.UNION) b.members(id);
          if (k === BtfKind.FUNC_PROTO) b.proto(id);
          if (k === BtfKind.ENUM || k === BtfKind.ENUM64) b.enumerators(id);
        } catch (e) {
          assert.ok(e instanceof KernelDataError, `type ${id}: ${String(e)}`);
        }
      }
    } catch (e) {
      assert.ok(e instanceof KernelDataError, `round ${round}: ${String(e)}`);
    }
  }
  for (let round = 0; round < 20; round++) {
    const junk = new Uint8Array(64 + rand(4096)).map(() => rand(256));
    if (round % 2) junk.set([0x9f, 0xeb, 1, 0]);
    assert.throws(() => parseBtf(junk, { file: 'junk' }), KernelDataError);
  }
});
