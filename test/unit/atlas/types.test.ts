// Types in atlas files: real types (Debian 12's BTF) round-trip and share records between kernels,
// are not read when a kernel is loaded (a corrupt types section does not stop function lookups;
// the first type question reports it, naming the file), files without types still read; and the
// bundled atlases answer the CO-RE questions the issue names on every kernel.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, describe, it } from 'node:test';
import { Atlas } from '../../../server/src/atlas/atlas';
import { AtlasFile, AtlasFileError, encodeAtlas } from '../../../server/src/atlas/format';
import { KernelIndex } from '../../../server/src/atlas/kernelIndex';
import type { KernelFacts, KernelTypes } from '../../../server/src/atlas/model';
import { parseBtf } from '../../../server/src/kernel/btf';
import { btfTypes, BTF_TYPES_COVERAGE } from '../../../server/src/kernel/btfTypes';
import { debian61Ext4 } from '../kernel/debian61';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-types-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function kernel(id: string, types?: KernelTypes): KernelFacts {
  const f: KernelFacts = {
    meta: {
      id, release: '6.1.0-56-amd64', version: '6.1', arch: 'x86_64', source: 'file', provenance: 'test',
      coverage: { inline: 'none', ftrace: false, blacklist: false, modules: false, btf: true, exactFieldOffsets: false, ...(types ? { types: BTF_TYPES_COVERAGE } : {}) },
      counts: { functions: 1, tracepoints: 0, syscalls: 0, lsmHooks: 0 },
    },
    functions: [{ name: 'vfs_read', symbols: ['vfs_read'], inBtf: true, inline: 'none', ftrace: true, kprobeBlacklisted: false }],
    tracepoints: [],
    syscalls: [],
    lsmHooks: [],
  };
  if (types) f.types = types;
  return f;
}

function header(bytes: Buffer): any {
  return JSON.parse(bytes.toString('utf8', 16, 16 + bytes.readUInt32LE(12)));
}

describe('types in atlas files', () => {
  const pair = debian61Ext4();
  const types = btfTypes(parseBtf(pair.base, { file: pair.baseFile }));

  it('round-trips every struct, typedef and enum of a real kernel', () => {
    const file = path.join(tmp, 'one.atlas');
    fs.writeFileSync(file, encodeAtlas([kernel('k', types)], { quality: 1 }));
    const back = AtlasFile.open(file).loadFacts('k');
    assert.deepEqual(back.types, types);
    assert.deepEqual(back.meta.coverage.types, BTF_TYPES_COVERAGE);
  });

  it('stores a type shared by kernels once, and a changed one beside it', () => {
    const changed: KernelTypes = {
      ...types,
      structs: types.structs.map((s) => (s.name === 'task_struct' ? { ...s, members: s.members.map((m) => (m.name === '__state' ? { ...m, name: 'state' } : m)) } : s)),
    };
    const bytes = encodeAtlas([kernel('a', types), kernel('b', types), kernel('c', changed)], { quality: 1 });
    const h = header(bytes);
    // One record per distinct struct (a kernel's identical same-named structs are one record too).
    const distinct = new Set(types.structs.map((x) => JSON.stringify(x))).size;
    assert.equal(h.types.tables.struct.count, distinct + 1);
    assert.deepEqual(h.kernels[0].types.lists, h.kernels[1].types.lists, 'identical lists are one section');
    const file = path.join(tmp, 'three.atlas');
    fs.writeFileSync(file, bytes);
    const f = AtlasFile.open(file);
    const c = new KernelIndex(f.load('c')).types()!;
    const a = new KernelIndex(f.load('a')).types()!;
    assert.equal(c.member('task_struct', 'state').status, 'present');
    assert.equal(c.member('task_struct', '__state').status, 'absent');
    assert.equal(a.member('task_struct', '__state').status, 'present');
    assert.deepEqual(f.loadFacts('c').types, changed);
  });

  it('does not read the types when a kernel is loaded', () => {
    const bytes = encodeAtlas([kernel('k', types)], { quality: 1 });
    const h = header(bytes);
    const ref = h.types.tables.struct;
    const start = 16 + bytes.readUInt32LE(12);
    const bad = Buffer.from(bytes);
    bad[start + ref.off + Math.floor(ref.len / 2)] ^= 0xff; // the checksum no longer matches
    const file = path.join(tmp, 'corrupt-types.atlas');
    fs.writeFileSync(file, bad);
    const k = new KernelIndex(AtlasFile.open(file).load('k'));
    assert.equal(k.fn('vfs_read')?.name, 'vfs_read');
    const t = k.types();
    assert.ok(t, 'types are offered');
    assert.throws(() => t.member('task_struct', '__state'), (e: unknown) => e instanceof AtlasFileError && e.message.includes(file) && /checksum/.test(e.message));
  });

  it('reads a file without types: no types to answer with', () => {
    const file = path.join(tmp, 'untyped.atlas');
    fs.writeFileSync(file, encodeAtlas([kernel('k')], { quality: 1 }));
    assert.equal(header(fs.readFileSync(file)).types, undefined);
    const k = new KernelIndex(AtlasFile.open(file).load('k'));
    assert.equal(k.types(), undefined);
    assert.equal(AtlasFile.open(file).loadFacts('k').types, undefined);
  });

  it('refuses a types section that lies about its records, naming the file', () => {
    const bytes = encodeAtlas([kernel('k', types)], { quality: 1 });
    const h = header(bytes);
    const len = bytes.readUInt32LE(12);
    const start = 16 + len;
    const ref = h.kernels[0].types.lists;
    const raw = Buffer.from(zlib.brotliDecompressSync(bytes.subarray(start + ref.off, start + ref.off + ref.len)));
    raw[0] = 0xff; // a record number far out of range
    raw[1] = 0x7f;
    const packed = zlib.brotliCompressSync(raw);
    h.kernels[0].types.lists = { off: bytes.length - start, len: packed.length, raw: raw.length, crc: zlib.crc32(packed) };
    const json = Buffer.from(JSON.stringify(h));
    const prefix = Buffer.from(bytes.subarray(0, 16));
    prefix.writeUInt32LE(json.length, 12);
    const file = path.join(tmp, 'lying.atlas');
    fs.writeFileSync(file, Buffer.concat([prefix, json, bytes.subarray(start), packed]));
    const k = new KernelIndex(AtlasFile.open(file).load('k'));
    assert.throws(() => k.types()!.struct('task_struct'), (e: unknown) => e instanceof AtlasFileError && e.message.includes(file));
  });
});

describe('types of the bundled kernels', () => {
  const atlas = new Atlas({ live: false });
  const member = (id: string, s: string, m: string) => atlas.get(id).types?.()?.member(s, m).status;

  it('task_struct.state until 5.13, __state from 5.14', () => {
    for (const id of ['debian-11', 'ubuntu-16.04', 'ubuntu-18.04', 'ubuntu-20.04', 'ubuntu-20.04-arm64', 'ubuntu-20.04-aws', 'ubuntu-21.10']) {
      assert.equal(member(id, 'task_struct', 'state'), 'present', id);
      assert.equal(member(id, 'task_struct', '__state'), 'absent', id);
    }
    for (const id of ['debian-12', 'debian-13', 'debian-sid', 'ubuntu-22.04', 'ubuntu-24.04']) {
      assert.equal(member(id, 'task_struct', '__state'), 'present', id);
      assert.equal(member(id, 'task_struct', 'state'), 'absent', id);
    }
  });

  it('request.rq_disk gone from 5.19; inode.i_atime renamed in 6.7 and 6.11', () => {
    for (const id of ['debian-11', 'ubuntu-20.04', 'ubuntu-22.04']) assert.equal(member(id, 'request', 'rq_disk'), 'present', id);
    for (const id of ['debian-12', 'ubuntu-22.10', 'ubuntu-24.04']) assert.equal(member(id, 'request', 'rq_disk'), 'absent', id);
    assert.equal(member('debian-12', 'inode', 'i_atime'), 'present');
    assert.equal(member('ubuntu-24.04', 'inode', '__i_atime'), 'present'); // 6.8
    for (const id of ['debian-13', 'debian-sid']) {
      assert.equal(member(id, 'inode', 'i_atime'), 'absent', id);
      assert.equal(member(id, 'inode', 'i_atime_sec'), 'present', id);
    }
  });

  it('offsets where the source has a layout, none where it has not', () => {
    const deb = atlas.get('debian-12').types!()!.member('task_struct', '__state');
    assert.ok(deb.status === 'present' && deb.member.bitOffset !== undefined && deb.member.size === 4);
    const ubu = atlas.get('ubuntu-22.04').types!()!.member('task_struct', '__state');
    assert.ok(ubu.status === 'present' && ubu.member.bitOffset === undefined && ubu.member.type === 'unsigned int');
  });

  it('knows the BPF UAPI enums of every kernel: helpers and map types are one query', () => {
    const q = (id: string, e: string, v: string) => atlas.get(id).types!()!.enumValue(e, v).status;
    assert.equal(q('ubuntu-16.04', 'bpf_func_id', 'BPF_FUNC_map_lookup_elem'), 'present');
    assert.equal(q('ubuntu-20.04', 'bpf_func_id', 'BPF_FUNC_ringbuf_output'), 'absent'); // 5.8
    assert.equal(q('ubuntu-20.10', 'bpf_func_id', 'BPF_FUNC_ringbuf_output'), 'present');
    assert.equal(q('debian-11', 'bpf_map_type', 'BPF_MAP_TYPE_RINGBUF'), 'present');
    assert.equal(q('ubuntu-20.04', 'bpf_link_type', 'BPF_LINK_TYPE_ITER'), 'no-type'); // enum from 5.7
    assert.equal(q('ubuntu-22.04', 'sock_type', 'SOCK_STREAM'), 'unknown', 'DepSurf holds only the BPF enums');
    assert.equal(q('debian-12', 'sock_type', 'SOCK_STREAM'), 'present');
  });
});
