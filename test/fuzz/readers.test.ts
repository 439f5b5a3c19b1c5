// Fuzz suite over every kernel reader and our own atlas files (issue 7): real inputs (the running
// kernel's BTF and kallsyms, a system ELF binary, captured tracefs formats, the bundled atlas) are
// mutated with a seeded generator. A reader must either parse or reject with its own error type
// (KernelDataError / AtlasFileError, which name the file); any other exception is a failure that
// prints the seed and the mutation. No clock: how long hostile input takes is `npm run bench`'s.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { AtlasFile, AtlasFileError } from '../../server/src/atlas/format';
import { parseBtf } from '../../server/src/kernel/btf';
import { locatePayload } from '../../server/src/kernel/bzimage';
import { parseElf } from '../../server/src/kernel/elf';
import { isKernelDataError } from '../../server/src/kernel/errors';
import { decodeKallsyms } from '../../server/src/kernel/kallsymsImage';
import { parseKallsyms } from '../../server/src/kernel/procKallsyms';
import { parseEventFormat } from '../../server/src/kernel/tracefs';
import { FUZZ_SEED, Rng, fuzzLoop, mutate } from './rng';

const root = path.resolve(__dirname, '../../..');
const tried: Record<string, number> = {};

/** Runs one reader call; returns 'ok' or 'rejected', throws a descriptive error otherwise. */
function expectCleanOutcome(target: string, what: string, call: () => void, accept: (e: unknown) => boolean = isKernelDataError): 'ok' | 'rejected' {
  try {
    call();
    return 'ok';
  } catch (e) {
    if (accept(e)) {
      const msg = (e as Error).message;
      assert.ok(msg.length > 10, `${target}: rejection message too terse: ${msg}`);
      return 'rejected';
    }
    throw new Error(`${target} [seed ${FUZZ_SEED}, ${what}]: unexpected ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
  }
}

function readIfPresent(file: string): Uint8Array | undefined {
  try {
    return new Uint8Array(fs.readFileSync(file));
  } catch {
    return undefined;
  }
}

describe('fuzz: kernel readers', () => {
  it('BTF: mutated live BTF parses or is rejected, and its functions and structs still render', (t) => {
    const live = readIfPresent('/sys/kernel/btf/vmlinux');
    if (!live) return t.skip('no /sys/kernel/btf/vmlinux on this machine');
    const rng = new Rng(FUZZ_SEED);
    let rejected = 0;
    const n = fuzzLoop(60, () => {
      const m = mutate(rng, live, 256 * 1024);
      const outcome = expectCleanOutcome('parseBtf', m.what, () => {
        const btf = parseBtf(m.bytes, { file: 'fuzz.btf' });
        let k = 0;
        for (const f of btf.funcs()) {
          btf.proto(f.protoId);
          if (++k > 2000) break;
        }
        btf.structFields('trace_event_raw_sched_switch');
      });
      if (outcome === 'rejected') rejected++;
    });
    tried.btf = n;
    assert.ok(n > 0);
    // Random garbage and tiny inputs are always rejected.
    for (let i = 0; i < 200; i++) {
      const junk = rng.bytes(rng.int(64));
      assert.equal(expectCleanOutcome('parseBtf', `junk ${junk.length}`, () => parseBtf(junk, { file: 'junk.btf' })), 'rejected');
    }
    t.diagnostic(`BTF: ${n} mutations (${rejected} rejected) + 200 junk inputs, seed ${FUZZ_SEED}`);
  });

  it('ELF and kallsyms tables: mutated real ELF never crashes the readers', (t) => {
    const elfBytes = readIfPresent(process.execPath) ?? readIfPresent('/bin/ls');
    assert.ok(elfBytes, 'need a real ELF binary on the machine');
    const head = elfBytes.slice(0, Math.min(elfBytes.length, 4 * 1024 * 1024));
    const rng = new Rng(FUZZ_SEED ^ 0x5eed);
    const n = fuzzLoop(300, () => {
      const m = mutate(rng, head, 4096);
      expectCleanOutcome('parseElf', m.what, () => {
        const elf = parseElf(m.bytes, 'fuzz.elf');
        for (const s of elf.sections) void s.name;
        decodeKallsyms(elf);
      });
    });
    tried.elf = n;
    for (let i = 0; i < 200; i++) {
      const junk = rng.bytes(rng.int(128));
      expectCleanOutcome('parseElf', `junk ${junk.length}`, () => parseElf(junk, 'junk.elf'));
      expectCleanOutcome('locatePayload', `junk ${junk.length}`, () => locatePayload(junk, 'junk.vmlinuz'));
    }
    t.diagnostic(`ELF: ${n} mutations + 200 junk inputs for ELF and bzImage, seed ${FUZZ_SEED}`);
  });

  it('kallsyms text: mutated /proc/kallsyms parses or is rejected', (t) => {
    const text = readIfPresent('/proc/kallsyms');
    if (!text || text.length === 0) return t.skip('/proc/kallsyms not readable');
    const head = text.slice(0, 400 * 1024);
    const rng = new Rng(FUZZ_SEED ^ 0xa11);
    const decoder = new TextDecoder('utf-8');
    const n = fuzzLoop(200, () => {
      const m = mutate(rng, head);
      expectCleanOutcome('parseKallsyms', m.what, () => parseKallsyms(decoder.decode(m.bytes), 'fuzz.kallsyms'));
    });
    tried.kallsyms = n;
    for (let i = 0; i < 100; i++) {
      const junk = decoder.decode(rng.bytes(rng.int(4096)));
      expectCleanOutcome('parseKallsyms', 'junk', () => parseKallsyms(junk, 'junk.map'));
    }
    t.diagnostic(`kallsyms: ${n} mutations + 100 junk texts, seed ${FUZZ_SEED}`);
  });

  it('tracefs formats: mutated real format files parse or are rejected', (t) => {
    const dir = path.join(root, 'test/fixtures/kernel/tracefs');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name === 'format') files.push(p);
      }
    };
    walk(dir);
    assert.ok(files.length > 0, 'captured format files expected under test/fixtures/kernel/tracefs');
    const inputs = files.map((f) => new Uint8Array(fs.readFileSync(f)));
    const rng = new Rng(FUZZ_SEED ^ 0x7ace);
    const decoder = new TextDecoder();
    const n = fuzzLoop(2000, () => {
      const m = mutate(rng, rng.pick(inputs));
      expectCleanOutcome('parseEventFormat', m.what, () => parseEventFormat(decoder.decode(m.bytes), 'fuzz/format'));
    });
    tried.tracefs = n;
    t.diagnostic(`tracefs: ${n} mutations of ${files.length} real format files, seed ${FUZZ_SEED}`);
  });

  it('atlas files: mutated bundled atlas is refused with AtlasFileError or still loads', (t) => {
    const dir = path.join(root, 'data/atlas');
    const bundles = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.atlas')) : [];
    assert.ok(bundles.length > 0, 'a bundled atlas is expected in data/atlas');
    const smallest = bundles.map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(a).size - fs.statSync(b).size)[0];
    const real = new Uint8Array(fs.readFileSync(smallest));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'atlas-fuzz-'));
    const rng = new Rng(FUZZ_SEED ^ 0xa7a5);
    const isAtlasError = (e: unknown) => e instanceof AtlasFileError;
    let refused = 0;
    try {
      const n = fuzzLoop(150, (i) => {
        const m = mutate(rng, real, 64 * 1024);
        const file = path.join(tmp, `m${i}.atlas`);
        fs.writeFileSync(file, m.bytes);
        const outcome = expectCleanOutcome('AtlasFile', m.what, () => {
          const atlas = AtlasFile.open(file);
          const kernels = atlas.kernels();
          const k = kernels[rng.int(Math.max(1, kernels.length))];
          if (k) atlas.loadFacts(k.id);
        }, isAtlasError);
        if (outcome === 'rejected') refused++;
        fs.rmSync(file);
      });
      tried.atlas = n;
      t.diagnostic(`atlas: ${n} mutations of ${path.basename(smallest)} (${refused} refused), seed ${FUZZ_SEED}`);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('reports how many inputs were tried', (t) => {
    t.diagnostic(`inputs tried: ${JSON.stringify(tried)} (seed ${FUZZ_SEED})`);
    assert.ok(Object.keys(tried).length >= 1);
  });
});
