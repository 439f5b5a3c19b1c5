// x86 bzImage (vmlinuz) → vmlinux. Locating the compressed payload is a pure parse of the boot
// setup header; decompressing it calls the system `xz` / `zstd` (or node's zlib for gzip). That is
// acceptable only because this runs in offline atlas generation (scripts/debian, `bpf-atlas index
// --deb`), never in the language server: Node 20 has no zstd, and the kernel's xz stream uses the
// x86 BCJ filter, which the pure-JS/WASM xz decoders tried reject (see KERNEL-DATA.md §6).

import { spawnSync } from 'node:child_process';
import zlib from 'node:zlib';
import { KernelDataError } from './errors';

export type PayloadCompression = 'xz' | 'zstd' | 'gzip' | 'lz4' | 'bzip2' | 'lzma' | 'lzo' | 'unknown';

export interface BzImagePayload {
  /** Boot protocol version, e.g. 0x20f. */
  protocol: number;
  setupSects: number;
  /** Byte range of the compressed kernel inside the vmlinuz file. */
  offset: number;
  length: number;
  compression: PayloadCompression;
  /** The size the decompressor appends (last 4 bytes): the vmlinux length. */
  uncompressedSize: number;
}

const MAGICS: [number[], PayloadCompression][] = [
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz'],
  [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
  [[0x1f, 0x8b], 'gzip'],
  [[0x02, 0x21, 0x4c, 0x18], 'lz4'],
  [[0x42, 0x5a, 0x68], 'bzip2'],
  [[0x89, 0x4c, 0x5a, 0x4f], 'lzo'],
  [[0x5d, 0x00, 0x00], 'lzma'],
];

/** Reads the setup header (HdrS at 0x202) and finds the payload; pure. */
export function locatePayload(image: Uint8Array, file: string): BzImagePayload {
  if (image.length < 0x250) throw new KernelDataError(file, `not a bzImage: only ${image.length} bytes`);
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (v.getUint32(0x202, true) !== 0x53726448) throw new KernelDataError(file, 'not a bzImage: no "HdrS" boot header at 0x202');
  const protocol = v.getUint16(0x206, true);
  if (protocol < 0x208) throw new KernelDataError(file, `boot protocol ${protocol >> 8}.${protocol & 0xff} is older than 2.08 and has no payload offset`);
  const setupSects = image[0x1f1] || 4;
  const offset = (setupSects + 1) * 512 + v.getUint32(0x248, true);
  const length = v.getUint32(0x24c, true);
  if (length < 8 || offset + length > image.length) {
    throw new KernelDataError(file, `truncated bzImage: payload ${offset}+${length} exceeds the ${image.length}-byte file`);
  }
  const head = image.subarray(offset, offset + 8);
  const compression = MAGICS.find(([m]) => m.every((b, i) => head[i] === b))?.[1] ?? 'unknown';
  const uncompressedSize = v.getUint32(offset + length - 4, true);
  return { protocol, setupSects, offset, length, compression, uncompressedSize };
}

function runDecompressor(cmd: string, args: string[], input: Uint8Array, file: string, expected: number): Uint8Array {
  const r = spawnSync(cmd, args, { input, maxBuffer: Math.max(expected, 1 << 20) * 2 + (64 << 20) });
  if (r.error) throw new KernelDataError(file, `cannot run ${cmd} to decompress the kernel payload: ${r.error.message} (install ${cmd})`);
  // xz/zstd exit non-zero on trailing garbage after the stream; accept the output if it is ELF.
  const out = new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
  if (out.length < 4 || out[0] !== 0x7f || out[1] !== 0x45) {
    throw new KernelDataError(file, `${cmd} could not decompress the kernel payload: ${String(r.stderr).trim().slice(0, 200) || 'no ELF output'}`);
  }
  return out;
}

/** vmlinuz bytes → vmlinux bytes (ELF). Spawns xz/zstd: offline generation only. */
export function extractVmlinux(image: Uint8Array, file: string): Uint8Array {
  const p = locatePayload(image, file);
  // The payload ends with the 4-byte uncompressed size, which is not part of the stream.
  const stream = image.subarray(p.offset, p.offset + p.length - 4);
  switch (p.compression) {
    case 'xz': return runDecompressor('xz', ['-dc', '--single-stream'], stream, file, p.uncompressedSize);
    case 'zstd': return runDecompressor('zstd', ['-dc', '-q'], stream, file, p.uncompressedSize);
    case 'gzip': {
      try {
        const out = zlib.gunzipSync(stream, { maxOutputLength: p.uncompressedSize + (1 << 20) });
        return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      } catch (e) {
        throw new KernelDataError(file, `gzip payload does not decompress: ${(e as Error).message}`);
      }
    }
    default:
      throw new KernelDataError(file, `kernel payload compression ${p.compression} is not supported (xz, zstd and gzip are)`);
  }
}
