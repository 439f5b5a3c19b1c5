// A string table compressed in pieces (the live cache writes 64 KiB pieces; the bundles 2 MiB)
// is decompressed piece by piece as its strings are read, when prefetch() has not decompressed
// it already: the same facts as a file in one piece, and the same refusals of a file that lies,
// made when the lying part is read.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, describe, it } from 'node:test';
import { AtlasFile, encodeAtlas } from '../../../server/src/atlas/format';
import { atlasRefusal, parseAtlas, realKernelSlice, replaceSection, rewriteHeader } from '../../craftAtlas';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-pieces-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, bytes: Buffer): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, bytes);
  return file;
}

describe('string tables in pieces', () => {
  const facts = realKernelSlice('ubuntu-22.04', 10);
  const id = facts.meta.id;
  const whole = encodeAtlas([facts], { quality: 1 });
  const pieces = encodeAtlas([facts], { quality: 1, pieceBytes: 64 << 10 });
  const { header } = parseAtlas(pieces);

  it('are written in pieces when asked, and read back the same facts as a table of one piece', () => {
    assert.equal(parseAtlas(whole).header.strings.chunks, undefined);
    assert.ok(header.strings.chunks.length >= 3, `pieces: ${header.strings.chunks?.length}`);
    assert.ok(header.types.strings.chunks.length >= 2, 'the types string table too');
    const a = AtlasFile.open(write('whole.atlas', whole));
    const b = AtlasFile.open(write('pieces.atlas', pieces));
    // One question at a time first (each reads the pieces it needs), then everything.
    const [da, db] = [a.load(id), b.load(id)];
    for (const name of ['sched_switch', 'sys_enter_openat', 'no_such_event']) assert.deepEqual(db.tracepointsNamed(name), da.tracepointsNamed(name), name);
    for (let i = 0; i < da.functionCount; i += 37) assert.equal(db.nameAt(i), da.nameAt(i));
    assert.deepEqual(db.types?.structsNamed('task_struct'), da.types?.structsNamed('task_struct'));
    assert.ok(da.types?.structsNamed('task_struct').length, 'the slice has types');
    assert.deepEqual(AtlasFile.open(write('pieces2.atlas', pieces)).loadFacts(id), a.loadFacts(id));
  });

  it('decompress a piece when it is read: a bad last piece is refused then, not at load', () => {
    const { dataStart } = parseAtlas(pieces);
    const ref = header.strings;
    const chunks: [number, number][] = ref.chunks;
    const lastLen = chunks[chunks.length - 1][0];
    const lastRaw = chunks[chunks.length - 1][1];
    const data = pieces.subarray(dataStart + ref.off, dataStart + ref.off + ref.len);
    const bomb = zlib.brotliCompressSync(Buffer.alloc(lastRaw + 1000));
    const forged = Buffer.concat([data.subarray(0, data.length - lastLen), bomb]);
    const bytes = rewriteHeader(Buffer.concat([pieces, forged]), (h) => {
      h.strings = { ...h.strings, off: pieces.length - dataStart, len: forged.length, crc: zlib.crc32(forged), chunks: [...chunks.slice(0, -1), [bomb.length, lastRaw]] };
    });
    const file = write('bad-last-piece.atlas', bytes);
    const loaded = AtlasFile.open(file).load(id);
    assert.ok(loaded.functionCount > 0);
    assert.match(atlasRefusal(file).message, new RegExp(`bad-last-piece\\.atlas: corrupt atlas file \\(string table: decompresses to more than the ${lastRaw} bytes its header declares; stopped there\\)`));
  });

  it('refuse an index that does not describe the table, when its block is read', () => {
    assert.equal(header.index.strings.chunks, undefined, 'the index is one piece');
    const count: number = header.index.strings.count;
    const blocks = Math.ceil(count / 64);
    const middle = 64 * Math.floor(blocks / 2) + 10;
    // Two lengths in one block changed, the block's total kept: a string no longer ends where
    // the index says.
    const shifted = replaceSection(pieces, (h) => h.index.strings, (raw) => {
      const at = 4 * blocks + 2 * middle;
      raw.writeUInt16LE(raw.readUInt16LE(at) + 1, at);
      raw.writeUInt16LE(raw.readUInt16LE(at + 2) - 1, at + 2);
    });
    assert.match(atlasRefusal(write('shifted.atlas', shifted)).message, /shifted\.atlas: corrupt atlas file \(string table: string \d+ does not end where the index says\)/);
    // A block start that disagrees with the lengths before it.
    const misplaced = replaceSection(pieces, (h) => h.index.strings, (raw) => {
      const b = Math.floor(blocks / 2);
      raw.writeUInt32LE(raw.readUInt32LE(4 * b) + 1, 4 * b);
    });
    assert.match(atlasRefusal(write('misplaced.atlas', misplaced)).message, /misplaced\.atlas: corrupt atlas file \(string table: string (index block \d+ is misplaced|\d+ does not end where the index says)\)/);
    // The wrong count: refused at load, as a table of one piece is.
    const miscounted = rewriteHeader(pieces, (h) => { h.index.strings.count += 1; });
    assert.match(atlasRefusal(write('miscounted.atlas', miscounted)).message, /corrupt atlas file \(string index: string index of \d+ bytes for \d+ strings\)/);
  });
});
