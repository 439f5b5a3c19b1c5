// Crafted atlas files for the tests that check how a reader treats bad and hostile ones: a real
// file (a slice of a bundled kernel) with its JSON header edited, a section replaced by other
// bytes (with its checksum right, so only the reader's own checks stand between the bytes and the
// decoders), and Brotli streams that inflate to gigabytes from a few kilobytes.

import assert from 'node:assert/strict';
import path from 'node:path';
import zlib from 'node:zlib';
import { AtlasFile, AtlasFileError, encodeAtlas } from '../server/src/atlas/format';
import type { KernelFacts } from '../server/src/atlas/model';
import { repoRoot } from './repoRoot';

/** Header length, parsed header and where the sections start. */
export function parseAtlas(bytes: Buffer): { header: any; dataStart: number } {
  const len = bytes.readUInt32LE(12);
  return { header: JSON.parse(bytes.toString('utf8', 16, 16 + len)), dataStart: 16 + len };
}

/** The same file with its JSON header edited (the sections stay where they are). */
export function rewriteHeader(bytes: Buffer, edit: (header: any) => void): Buffer {
  const { header, dataStart } = parseAtlas(bytes);
  edit(header);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.from(bytes.subarray(0, 16));
  prefix.writeUInt32LE(json.length, 12);
  return Buffer.concat([prefix, json, bytes.subarray(dataStart)]);
}

/** The same file with the section `pick` chooses stored as `data` (appended, checksum right),
 *  its header claiming `raw` decompressed bytes: a liar when `raw` is not what `data` inflates to. */
export function setSection(bytes: Buffer, pick: (header: any) => any, data: Buffer, raw: number): Buffer {
  const { dataStart } = parseAtlas(bytes);
  const ref = { off: bytes.length - dataStart, len: data.length, raw, crc: zlib.crc32(data) };
  return rewriteHeader(Buffer.concat([bytes, data]), (h) => {
    const target = pick(h);
    delete target.chunks;
    Object.assign(target, ref);
  });
}

/** The same file with one (single-piece) section decompressed, edited, recompressed and
 *  appended, its reference (and checksum) updated: bytes that pass the checksum but lie. */
export function replaceSection(bytes: Buffer, pick: (header: any) => any, edit: (raw: Buffer) => Buffer | void): Buffer {
  const { header, dataStart } = parseAtlas(bytes);
  const ref = pick(header);
  assert.equal(ref.chunks, undefined, 'a section of one piece');
  let raw: Buffer = Buffer.from(zlib.brotliDecompressSync(bytes.subarray(dataStart + ref.off, dataStart + ref.off + ref.len)));
  raw = edit(raw) ?? raw;
  return setSection(bytes, pick, zlib.brotliCompressSync(raw), raw.length);
}

/** A Brotli stream of `bytes` zero bytes (a multiple of 16 MiB), built without compressing them:
 *  the stream of the first 16 MiB, flushed to a byte boundary, then the 14 bytes that encode
 *  each further 16 MiB (the encoder's output repeats once its window is all zeros), then the
 *  end. 4 GiB take 3.6 kB. Checked by inflating a 64 MiB one. */
export async function brotliZeros(bytes: number): Promise<Buffer> {
  const block = 16 << 20;
  assert.ok(bytes % block === 0 && bytes >= 3 * block, 'a multiple of 16 MiB, at least 48 MiB');
  const parts = await new Promise<Buffer[]>((resolve, reject) => {
    const c = zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_LGWIN]: 24 } });
    const out: Buffer[] = [];
    let cur: Buffer[] = [];
    c.on('data', (d: Buffer) => cur.push(d));
    c.on('error', reject);
    const zeros = Buffer.alloc(block);
    const step = (i: number) => {
      if (i === 3) {
        c.on('end', () => resolve([...out, Buffer.concat(cur)]));
        c.end();
        return;
      }
      c.write(zeros);
      c.flush(zlib.constants.BROTLI_OPERATION_FLUSH, () => {
        out.push(Buffer.concat(cur));
        cur = [];
        step(i + 1);
      });
    };
    step(0);
  });
  const [first, repeat, again, end] = parts;
  assert.deepEqual(again, repeat, 'the encoder repeats itself over zeros');
  const stream = (blocks: number) => Buffer.concat([first, ...Array<Buffer>(blocks - 1).fill(repeat), end]);
  const probe = zlib.brotliDecompressSync(stream(4));
  assert.ok(probe.length === 4 * block && probe.every((b) => b === 0), 'the crafted stream inflates to zeros');
  return stream(bytes / block);
}

/** A real kernel cut down to every `every`-th function: small, quick, and every record shape. */
export function realKernelSlice(id = 'ubuntu-22.04', every = 50): KernelFacts {
  const facts = AtlasFile.open(path.join(repoRoot(), 'data', 'atlas', 'ubuntu.atlas')).loadFacts(id);
  return { ...facts, functions: facts.functions.filter((f, i) => i % every === 0 || f.name === 'vfs_read') };
}

/** A small valid single-kernel atlas file (bytes) of a real kernel slice. */
export function smallAtlas(facts: KernelFacts = realKernelSlice()): Buffer {
  return encodeAtlas([facts], { quality: 1 });
}

/** Every section reference of a parsed header, with its name. */
export function sectionRefs(header: any): [string, any][] {
  const out: [string, any][] = [['strings', header.strings], ['protos', header.protos]];
  for (const [k, t] of Object.entries(header.tables)) out.push([`tables.${k}`, t]);
  header.kernels.forEach((k: any, i: number) => {
    out.push([`kernels[${i}].misc`, k.misc]);
    for (const [kind, ref] of Object.entries(k.lists)) out.push([`kernels[${i}].lists.${kind}`, ref]);
  });
  if (header.index) {
    if (header.index.strings) out.push(['index.strings', header.index.strings]);
    if (header.index.protos) out.push(['index.protos', header.index.protos]);
    for (const [k, t] of Object.entries(header.index.tables)) out.push([`index.tables.${k}`, t]);
  }
  return out;
}

/** Opening a file and loading every kernel must fail with an AtlasFileError that names the file. */
export function atlasRefusal(file: string): AtlasFileError {
  try {
    const f = AtlasFile.open(file);
    for (const m of f.kernels()) f.loadFacts(m.id);
  } catch (e) {
    assert.ok(e instanceof AtlasFileError, `expected AtlasFileError, got ${(e as Error).stack}`);
    assert.ok(e.message.startsWith(`${file}: `), `the message names the file: ${e.message}`);
    return e;
  }
  assert.fail(`${file} was accepted`);
}
