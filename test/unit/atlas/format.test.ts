// The atlas file format over real bundled data: round trips (many kernels sharing records, and a
// single-kernel user file), lazy listing, and clear refusals of foreign, old, truncated and
// corrupt files (the message names the file and says how to rebuild).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { dataDir } from '../../../server/src/dataDir';
import { ATLAS_FORMAT_VERSION, AtlasFile, encodeAtlas, writeAtlasFile } from '../../../server/src/atlas/format';
import type { KernelFacts } from '../../../server/src/atlas/model';
import { atlasRefusal, replaceSection, rewriteHeader } from '../../craftAtlas';

const ubuntuAtlas = path.join(dataDir(), 'atlas', 'ubuntu.atlas');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-format-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A real kernel cut down to a slice of its functions (plus the well-known hazard examples), so
 *  round trips stay quick while covering every record shape. */
function sliceOf(facts: KernelFacts, every: number): KernelFacts {
  const keep = new Set(['finish_task_switch', 'blk_account_io_start', 'do_sys_open', 'tcp4_proc_init', 'kfree', 's_next']);
  return {
    ...facts,
    functions: facts.functions.filter((f, i) => i % every === 0 || keep.has(f.name) || f.symbols.length > 1),
  };
}

const refusal = atlasRefusal;

describe('atlas format', () => {
  const bundle = AtlasFile.open(ubuntuAtlas);

  it('lists kernels from the header alone', () => {
    const ids = bundle.kernels().map((k) => k.id);
    assert.equal(ids.length, 25);
    for (const id of ['ubuntu-16.04', 'ubuntu-22.04', 'ubuntu-24.04', 'ubuntu-20.04-arm64', 'ubuntu-20.04-aws']) assert.ok(ids.includes(id), id);
  });

  it('round-trips several real kernels sharing one file', () => {
    const kernels = ['ubuntu-22.04', 'ubuntu-22.10', 'ubuntu-20.04-riscv64'].map((id) => sliceOf(bundle.loadFacts(id), 25));
    const file = path.join(tmp, 'three.atlas');
    writeAtlasFile(file, kernels, { quality: 1 });
    const back = AtlasFile.open(file);
    assert.deepEqual(back.kernels().map((k) => k.id), kernels.map((k) => k.meta.id));
    for (const k of kernels) {
      const got = back.loadFacts(k.meta.id);
      assert.deepEqual(got.meta, k.meta);
      assert.deepEqual(got.functions, [...k.functions].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
      assert.deepEqual(got.tracepoints, k.tracepoints);
      assert.deepEqual(got.syscalls, k.syscalls);
      assert.deepEqual(got.lsmHooks, k.lsmHooks);
    }
  });

  it('stores records shared by kernels once', () => {
    const a = sliceOf(bundle.loadFacts('ubuntu-20.04'), 10);
    const b = sliceOf(bundle.loadFacts('ubuntu-20.04-lowlatency'), 10);
    const one = encodeAtlas([a], { quality: 5 }).length;
    const two = encodeAtlas([a, b], { quality: 5 }).length;
    // Two near-identical kernels cost far less than twice one.
    assert.ok(two < one * 1.3, `two kernels ${two} B vs one ${one} B`);
  });

  it('round-trips every optional field of a single-kernel user file', () => {
    const facts: KernelFacts = {
      ...sliceOf(bundle.loadFacts('ubuntu-24.04'), 200),
      extraSymbols: ['finish_task_switch.isra.0', '__pfx_vfs_read'],
      kfuncs: ['bpf_task_acquire'],
    };
    facts.tracepoints = facts.tracepoints.slice(0, 3).map((t, i) => ({
      ...t,
      module: i === 0 ? 'ext4' : undefined,
      fields: t.fields?.map((f, j) => ({ ...f, offset: 8 + 4 * j, size: 4, signed: j % 2 === 0 })),
    }));
    facts.tracepoints.forEach((t) => { if (t.module === undefined) delete t.module; });
    const file = path.join(tmp, 'one.atlas');
    writeAtlasFile(file, [facts], { quality: 1 });
    const got = AtlasFile.open(file).loadFacts(facts.meta.id);
    assert.deepEqual(got.extraSymbols, facts.extraSymbols);
    assert.deepEqual(got.kfuncs, facts.kfuncs);
    assert.deepEqual(got.tracepoints, facts.tracepoints);
  });

  it('refuses a file that is not an atlas, naming it', () => {
    const file = path.join(tmp, 'random.atlas');
    fs.writeFileSync(file, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
    const e = refusal(file);
    assert.match(e.message, /random\.atlas: not a bpf-atlas atlas file/);
    assert.match(e.message, /bpf-atlas index/);
  });

  it('refuses an empty file and a missing one', () => {
    const empty = path.join(tmp, 'empty.atlas');
    fs.writeFileSync(empty, '');
    assert.match(refusal(empty).message, /empty\.atlas: not a bpf-atlas atlas file/);
    assert.match(refusal(path.join(tmp, 'nope.atlas')).message, /nope\.atlas: no such atlas file/);
    assert.match(refusal(tmp).message, /is a directory/);
  });

  it('refuses another format version with what to do', () => {
    const file = path.join(tmp, 'old.atlas');
    const bytes = Buffer.from(fs.readFileSync(ubuntuAtlas));
    bytes.writeUInt32LE(ATLAS_FORMAT_VERSION + 1, 8);
    fs.writeFileSync(file, bytes);
    const e = refusal(file);
    assert.match(e.message, new RegExp(`old\\.atlas: atlas format version ${ATLAS_FORMAT_VERSION + 1}, but this bpf-atlas reads versions 1 to ${ATLAS_FORMAT_VERSION}`));
    bytes.writeUInt32LE(0, 8);
    fs.writeFileSync(file, bytes);
    assert.match(refusal(file).message, /rebuild it with `bpf-atlas index/);
  });

  it('refuses truncated files', () => {
    const whole = fs.readFileSync(ubuntuAtlas);
    for (const cut of [12, 200, Math.floor(whole.length / 2), whole.length - 1]) {
      const file = path.join(tmp, `cut-${cut}.atlas`);
      fs.writeFileSync(file, whole.subarray(0, cut));
      assert.match(refusal(file).message, new RegExp(`cut-${cut}\\.atlas: (truncated|corrupt)`), `cut at ${cut}`);
    }
  });

  it('refuses a corrupt section (checksum) and a corrupt header', () => {
    const whole = Buffer.from(fs.readFileSync(ubuntuAtlas));
    const file = path.join(tmp, 'flipped.atlas');
    const flipped = Buffer.from(whole);
    flipped[whole.length - 100] ^= 0x55;
    fs.writeFileSync(file, flipped);
    assert.match(refusal(file).message, /flipped\.atlas: corrupt atlas file \(checksum mismatch/);
    const header = Buffer.from(whole);
    header[16] = 0x5d; // the JSON header now starts with `]`
    const hfile = path.join(tmp, 'header.atlas');
    fs.writeFileSync(hfile, header);
    assert.match(refusal(hfile).message, /header\.atlas: corrupt atlas header/);
  });

  it('reads a format 1 file (no index sections) exactly as a format 2 one', () => {
    const kernels = ['ubuntu-22.04', 'ubuntu-24.04'].map((id) => sliceOf(bundle.loadFacts(id), 40));
    const indexed = encodeAtlas(kernels, { quality: 1 });
    // What format 1 wrote: no index sections (and no pieces, which a small file has none of).
    const plain = rewriteHeader(indexed, (h) => { delete h.index; });
    plain.writeUInt32LE(1, 8);
    const a = path.join(tmp, 'indexed.atlas');
    const b = path.join(tmp, 'plain.atlas');
    fs.writeFileSync(a, indexed);
    fs.writeFileSync(b, plain);
    const fa = AtlasFile.open(a);
    const fb = AtlasFile.open(b);
    for (const k of kernels) {
      assert.deepEqual(fa.loadFacts(k.meta.id), fb.loadFacts(k.meta.id));
      const [da, db] = [fa.load(k.meta.id), fb.load(k.meta.id)];
      for (let i = 0; i < da.functionCount; i += 97) assert.equal(da.nameAt(i), db.nameAt(i));
    }
  });

  it('refuses an index that does not describe its table', () => {
    const bytes = encodeAtlas([sliceOf(bundle.loadFacts('ubuntu-22.04'), 40)], { quality: 1 });
    const file = path.join(tmp, 'badindex.atlas');
    // Point the function index at the tracepoint index: its checksum is right, its size is not.
    fs.writeFileSync(file, rewriteHeader(bytes, (h) => { h.index.tables.fn = h.index.tables.tp; }));
    assert.match(refusal(file).message, /badindex\.atlas: corrupt atlas file \(fn index: index of \d+ bytes for \d+ records\)/);
    // Right size and checksum, wrong content: one record length off by one.
    fs.writeFileSync(file, replaceSection(bytes, (h) => h.index.tables.fn, (raw) => { raw.writeUInt16LE(raw.readUInt16LE(raw.length - 2) + 1, raw.length - 2); }));
    assert.match(refusal(file).message, /badindex\.atlas: corrupt atlas file \(fn index: index does not cover its table\)/);
    fs.writeFileSync(file, replaceSection(bytes, (h) => h.index.strings, (raw) => { raw.writeUInt16LE(raw.readUInt16LE(raw.length - 2) + 1, raw.length - 2); }));
    assert.match(refusal(file).message, /badindex\.atlas: corrupt atlas file \(string index: string \d+ does not end where the index says\)/);
    fs.writeFileSync(file, rewriteHeader(bytes, (h) => { h.index.strings.count += 1; }));
    assert.match(refusal(file).message, /badindex\.atlas: corrupt atlas file \(string index: string index of \d+ bytes for \d+ strings\)/);
  });

  it('splits big sections into pieces, read back whole whether prefetched or not', async () => {
    const bytes = fs.readFileSync(ubuntuAtlas);
    const header = JSON.parse(bytes.toString('utf8', 16, 16 + bytes.readUInt32LE(12)));
    assert.ok(header.strings.chunks?.length >= 2, 'the bundled string table is in pieces');
    const plain = AtlasFile.open(ubuntuAtlas);
    const warm = AtlasFile.open(ubuntuAtlas);
    await Promise.all([warm.prefetch('ubuntu-22.04'), warm.prefetch('ubuntu-24.04')]);
    for (const id of ['ubuntu-22.04', 'ubuntu-24.04']) assert.deepEqual(warm.loadFacts(id), plain.loadFacts(id), id);
  });

  it('refuses pieces that do not add up to their section', () => {
    const file = path.join(tmp, 'pieces.atlas');
    fs.writeFileSync(file, rewriteHeader(fs.readFileSync(ubuntuAtlas), (h) => { h.strings.chunks[0][1] += 1; }));
    assert.match(refusal(file).message, /pieces\.atlas: corrupt atlas header \(strings\.chunks do not add up to their section: pieces of \d+ → \d+ bytes, section of \d+ → \d+\)/);
  });

  it('finds a tracepoint by name without decoding the others, equal to the full list', () => {
    const d = bundle.load('ubuntu-24.04');
    const all = d.tracepoints;
    const names = [...new Set(all.map((t) => t.name))];
    const twice = names.filter((n) => all.filter((t) => t.name === n).length > 1);
    for (const name of [...names.filter((_, i) => i % 50 === 0), ...twice.slice(0, 20), 'sched_switch', 'no_such_event']) {
      assert.deepEqual(d.tracepointsNamed(name), all.filter((t) => t.name === name), name);
    }
  });

  it('decodes a tracepoint record shared by kernels of one file once, for all of them', () => {
    const a = bundle.load('ubuntu-22.04').tracepoints;
    const b = bundle.load('ubuntu-24.04').tracepoints;
    const switchA = a.find((t) => t.name === 'sched_switch' && t.system === 'sched');
    const switchB = b.find((t) => t.name === 'sched_switch' && t.system === 'sched');
    assert.ok(switchA?.fields?.length && switchB, 'sched:sched_switch on both');
    // Records are shared where the facts are equal: the same object where the record is the same.
    const byKey = new Map(a.map((t) => [`${t.system}:${t.name}`, t]));
    const same = b.filter((t) => byKey.get(`${t.system}:${t.name}`) === t);
    assert.ok(same.length > b.length / 2, `${same.length} of ${b.length} records are shared objects`);
    for (const t of same.slice(0, 200)) assert.deepEqual(bundle.load('ubuntu-22.04').tracepointsNamed(t.name).find((x) => x.system === t.system), t);
  });

  it('says which kernels a file has when asked for another', () => {
    assert.throws(() => bundle.load('debian-12'), /ubuntu\.atlas: has no kernel "debian-12" \(it has: ubuntu-16\.04/);
  });
});
