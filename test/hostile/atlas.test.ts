// Hostile atlas files (issue 13), read in-process: decompression bombs (sections that inflate to
// 4.2 GB from a few kilobytes, with an honest or a lying header), headers whose fields hold the
// wrong types or lie about lengths and counts, escape codes in ids and names, and paths that are
// not regular files (FIFO, socket, device, directory). Each must end in an AtlasFileError that
// names the file and says what is wrong, never in a hang, an out-of-memory kill or a wrong answer
// ("not found"). The peak memory of a bomb is checked end to end in cli.test.ts.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Atlas } from '../../server/src/atlas/atlas';
import { AtlasFile, encodeAtlas } from '../../server/src/atlas/format';
import type { KernelFacts } from '../../server/src/atlas/model';
import { atlasRefusal, brotliZeros, parseAtlas, realKernelSlice, rewriteHeader, sectionRefs, setSection, smallAtlas } from '../craftAtlas';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-hostile-atlas-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** 252 × 16 MiB: the 4.2 GB every section of the bomb inflated to. */
const BOMB_BYTES = 252 * (16 << 20);

function write(name: string, bytes: Buffer): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** The message of the AtlasFileError that opening and loading the file must end in. */
function refusal(file: string): string {
  return atlasRefusal(file).message;
}

describe('hostile atlas files', () => {
  let good: Buffer;
  let bomb: Buffer;
  const id = () => parseAtlas(good).header.kernels[0].meta.id as string;

  before(async () => {
    good = smallAtlas();
    bomb = await brotliZeros(BOMB_BYTES);
  });

  it('a bomb with an honest header (every section claims 4.2 GB) is refused at open, nothing inflated', () => {
    let bytes = good;
    for (const [name] of sectionRefs(parseAtlas(good).header)) {
      bytes = setSection(bytes, (h) => sectionRefs(h).find(([n]) => n === name)![1], bomb, BOMB_BYTES);
    }
    const file = write('honest-bomb.atlas', bytes);
    assert.ok(bytes.length < 1 << 20, `a small file: ${bytes.length} bytes`);
    assert.match(refusal(file), /corrupt atlas header \(strings\.raw is 4227858432, more than the 268435456 bytes an atlas section may decompress to\)/);
  });

  it('a bomb with a lying header (sizes of the real file) stops at the declared size, sync and prefetched', async () => {
    let bytes = good;
    const header = parseAtlas(good).header;
    for (const [name, ref] of sectionRefs(header)) {
      bytes = setSection(bytes, (h) => sectionRefs(h).find(([n]) => n === name)![1], bomb, ref.raw);
    }
    const file = write('lying-bomb.atlas', bytes);
    assert.match(refusal(file), new RegExp(`corrupt atlas file \\(string table: decompresses to more than the ${header.strings.raw} bytes its header declares; stopped there\\)`));
    // The server's path: prefetch on the thread pool first (never throws), then load.
    const f = AtlasFile.open(file);
    await f.prefetch(id());
    assert.throws(() => f.load(id()), /decompresses to more than the \d+ bytes its header declares; stopped there/);
  });

  it('a bomb in one piece of a section in pieces is stopped too', () => {
    const { header, dataStart } = parseAtlas(good);
    assert.equal(header.strings.chunks, undefined, 'a small file has sections of one piece');
    const first = good.subarray(dataStart + header.strings.off, dataStart + header.strings.off + header.strings.len);
    let bytes = setSection(good, (h) => h.strings, Buffer.concat([first, bomb]), header.strings.raw + 1000);
    bytes = rewriteHeader(bytes, (h) => { h.strings.chunks = [[first.length, header.strings.raw], [bomb.length, 1000]]; });
    assert.match(refusal(write('piece-bomb.atlas', bytes)), /string table: decompresses to more than the 1000 bytes its header declares; stopped there/);
  });

  it('sections within the per-section limit that add up past the file limit are refused at open', () => {
    let bytes = good;
    for (const name of ['strings', 'protos', 'tables.fn']) {
      bytes = setSection(bytes, (h) => sectionRefs(h).find(([n]) => n === name)![1], bomb, 200 << 20);
    }
    assert.match(refusal(write('sum-bomb.atlas', bytes)), /corrupt atlas header \(tables\.fn brings what the file declares to more than the 536870912 bytes an atlas may decompress to\)/);
  });

  it('header fields of the wrong type are refused, naming the file and the field', () => {
    const cases: [string, (h: any) => void, RegExp][] = [
      ['count holding text', (h) => { h.kernels[0].counts.fn = 'abc'; }, /kernels\[0\]\.counts\.fn is "abc", expected a count/],
      ['table count holding text', (h) => { h.tables.fn.count = String(h.tables.fn.count); }, /tables\.fn\.count is "\d+", expected a count/],
      ['meta count holding text', (h) => { h.kernels[0].meta.counts.functions = 'many'; }, /kernels\[0\]\.meta\.counts\.functions is "many", expected a count/],
      ['id a number', (h) => { h.kernels[0].meta.id = 42; }, /kernels\[0\]\.meta\.id is 42, expected a string/],
      ['id empty', (h) => { h.kernels[0].meta.id = ''; }, /kernels\[0\]\.meta\.id is "": a kernel id is not empty/],
      ['coverage flag a string', (h) => { h.kernels[0].meta.coverage.btf = 'yes'; }, /kernels\[0\]\.meta\.coverage\.btf is "yes", expected true or false/],
      ['source unknown', (h) => { h.kernels[0].meta.source = 'elsewhere'; }, /kernels\[0\]\.meta\.source is "elsewhere", expected one of bundled, live, file/],
      ['offset a string', (h) => { h.strings.off = '0'; }, /strings\.off is "0", expected a count/],
      ['negative size', (h) => { h.protos.raw = -1; }, /protos\.raw is -1, expected a count/],
      ['fractional checksum', (h) => { h.tables.tp.crc = 1.5; }, /tables\.tp\.crc is 1\.5, expected a count/],
      ['kernels an object', (h) => { h.kernels = {}; }, /kernels is not a list/],
      ['a list missing', (h) => { delete h.kernels[0].lists.fn; }, /kernels\[0\]\.lists\.fn is missing/],
      ['compression unknown', (h) => { h.compression = 'gzip'; }, /compression is "gzip", expected "br"/],
      ['systems holding a number', (h) => { h.systems = { sched_switch: 5 }; }, /systems\.sched_switch is 5, expected a string/],
      ['index count holding text', (h) => { h.index.strings.count = '7'; }, /index\.strings\.count is "7", expected a count/],
      ['pieces not a list', (h) => { h.strings.chunks = 'all'; }, /strings\.chunks is "all", expected a list of pieces/],
      ['the same id twice', (h) => { h.kernels.push(h.kernels[0]); }, /kernels\[1\]\.meta\.id "[^"]+" is given twice/],
    ];
    for (const [what, edit, expected] of cases) {
      const file = write(`types-${what.replace(/\W+/g, '-')}.atlas`, rewriteHeader(good, edit));
      assert.match(refusal(file), new RegExp(`corrupt atlas header \\(${expected.source}`), what);
    }
    for (const [what, header] of [['an array', '[]'], ['null', 'null'], ['a string', '"atlas"']]) {
      const json = Buffer.from(header);
      const prefix = Buffer.from(good.subarray(0, 16));
      prefix.writeUInt32LE(json.length, 12);
      assert.match(refusal(write(`header-${what.replace(/\W+/g, '-')}.atlas`, Buffer.concat([prefix, json]))), /corrupt atlas header \(header is .*, expected an object\)/, what);
    }
  });

  it('lying lengths and counts are refused, never read as fewer records ("not found")', () => {
    const header = parseAtlas(good).header;
    const cases: [string, (h: any) => void, RegExp][] = [
      ['list count past its bytes', (h) => { h.kernels[0].counts.fn = h.kernels[0].lists.fn.raw + 1; }, /corrupt atlas header \(kernels\[0\]\.counts\.fn is \d+, more than the \d+ entries its list's \d+ bytes can hold\)/],
      ['list count short of its list', (h) => { h.kernels[0].counts.fn -= 1; }, /corrupt atlas file \(\S+ fn list: list holds more than its \d+ entries\)/],
      ['table count short of its table', (h) => { h.tables.sc.count -= 1; delete h.index.tables.sc; }, /corrupt atlas file \(sc records: table holds more than its \d+ records\)/],
      ['function table count short (scanned)', (h) => { h.tables.fn.count -= 1; delete h.index.tables.fn; }, /corrupt atlas file \(fn records: table holds more than its \d+ records\)/],
      ['table count past its bytes', (h) => { h.tables.tp.count = h.tables.tp.raw + 1; }, /corrupt atlas header \(tables\.tp\.count is \d+, more than the \d+ records its \d+ bytes can hold\)/],
      ['a section past the end of the file', (h) => { h.protos.len += 1 << 20; }, /truncated atlas file \(\d+ data bytes, protos needs \d+\)/],
      ['a section claiming more than it inflates to', (h) => { h.tables.lsm.raw += 10; }, /lsm records: decompresses to \d+ bytes, not the \d+ its header declares/],
      ['pieces that do not add up', (h) => { h.strings.chunks = [[h.strings.len, h.strings.raw - 1]]; }, /strings\.chunks do not add up to their section/],
      ['a count past the hard limit', (h) => { h.kernels[0].meta.counts.functions = 2 ** 40; }, /kernels\[0\]\.meta\.counts\.functions is 1099511627776, more than the 16777216 this file allows/],
    ];
    assert.ok(header.kernels[0].counts.fn > 1, 'the slice has functions');
    for (const [what, edit, expected] of cases) {
      assert.match(refusal(write(`lie-${what.replace(/\W+/g, '-')}.atlas`, rewriteHeader(good, edit))), expected, what);
    }
    // A header length past the hard limit is refused before any of it is read.
    const huge = Buffer.from(good.subarray(0, 16));
    huge.writeUInt32LE(0xffffffff, 12);
    assert.match(refusal(write('huge-header.atlas', Buffer.concat([huge, Buffer.alloc(64)]))), /truncated or corrupt atlas file \(header of 4294967295 bytes/);
  });

  it('escape codes in kernel ids and metadata are refused; in names, replaced before any sink', () => {
    const cases: [string, (h: any) => void][] = [
      ['ESC in an id', (h) => { h.kernels[0].meta.id = 'evil\u001b[2J\u001b[H'; }],
      ['OSC in a release', (h) => { h.kernels[0].meta.release = '6.1\u001b]0;pwned\u0007'; }],
      ['C1 CSI in an arch', (h) => { h.kernels[0].meta.arch = 'x86\u009b2J'; }],
      ['bidi override in the provenance', (h) => { h.kernels[0].meta.provenance = 'built by \u202eevil'; }],
      ['a backtick in an id', (h) => { h.kernels[0].meta.id = 'a`b'; }],
    ];
    for (const [what, edit] of cases) {
      const message = refusal(write(`escape-${what.replace(/\W+/g, '-')}.atlas`, rewriteHeader(good, edit)));
      assert.match(message, /corrupt atlas header \(kernels\[0\]\.meta\.\w+ (holds control characters|is "a`b": a kernel id)/, what);
      assert.ok(!/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/.test(message), `the message quotes the value escaped: ${message}`);
    }
    // Names are in the string table, decoded lazily: what a terminal or markdown would act on
    // is replaced by U+FFFD where they enter, so every sink gets safe text.
    const facts: KernelFacts = realKernelSlice('ubuntu-22.04', 400);
    const evil = ['evil\u001b[2Jname', 'osc\u001b]52;c;cGF5bG9hZA==\u0007', 'c1\u009b31m', 'bidi\u202etxt', 'tick`[x](https://example.invalid)`'];
    facts.functions = [...facts.functions, ...evil.map((name) => ({ ...facts.functions[0], name, symbols: [name] }))];
    const file = write('escape-names.atlas', encodeAtlas([facts], { quality: 1 }));
    const names = AtlasFile.open(file).loadFacts(facts.meta.id).functions.flatMap((f) => [f.name, ...f.symbols]);
    assert.deepEqual(names.filter((n) => /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069`]/.test(n)), [], 'no control character or backtick survives');
    for (const e of ['evil\ufffd[2Jname', 'c1\ufffd31m', 'tick\ufffd[x](https://example.invalid)\ufffd']) assert.ok(names.includes(e), `${JSON.stringify(e)} among the names`);
  });

  describe('paths that are not regular files are refused at once', { timeout: 120_000 }, () => {
    // A FIFO blocked open() until a writer came: the timeout above is the only bound on a hang.
    it('FIFO', () => {
      const fifo = path.join(tmp, 'pipe.atlas');
      execFileSync('mkfifo', [fifo]);
      assert.match(refusal(fifo), /pipe\.atlas: is a FIFO \(named pipe\), not an atlas file/);
      assert.throws(() => new Atlas({ live: false, bundled: false }).addFile(fifo), /is a FIFO \(named pipe\), not an atlas file/);
    });

    it('socket, character device, directory', async () => {
      const sock = path.join(tmp, 'socket.atlas');
      const server = net.createServer().listen(sock);
      await new Promise((resolve) => server.once('listening', resolve));
      try {
        assert.match(refusal(sock), /socket\.atlas: is a socket, not an atlas file/);
      } finally {
        server.close();
      }
      assert.match(refusal('/dev/zero'), /\/dev\/zero: is a character device, not an atlas file/);
      assert.match(refusal(tmp), /: is a directory, not an atlas file/);
    });

    it('a file swapped for a FIFO after open: the thread-pool read does not hang, load says why', async () => {
      const file = write('swapped.atlas', good);
      const f = AtlasFile.open(file);
      fs.rmSync(file);
      execFileSync('mkfifo', [file]);
      await f.prefetch(id());
      assert.throws(() => f.load(id()), /swapped\.atlas: is a FIFO \(named pipe\), not an atlas file/);
    });
  });
});
