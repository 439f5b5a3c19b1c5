// Packs per-kernel KernelFacts JSON files (.cache/facts/<family>-*.json, written by
// scripts/ubuntu/build.ts and the Debian generator) into the bundled atlases data/atlas/<family>.atlas,
// one file per family so kernels that share most of their facts share their records.
//
//   node out/scripts/build-bundle.js [--facts DIR] [--out DIR] [--quality 0-11] [FAMILY...]
//   FAMILY defaults to every family with facts present (ubuntu, debian).
//
//   node out/scripts/build-bundle.js --from-atlas FILE [--out DIR] [--quality 0-11]
//   re-encodes an existing bundle with this version's writer (same facts, e.g. after the file
//   format gained a section), without the inputs it was first built from.

import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { AtlasFile, writeAtlasFile } from '../server/src/atlas/format';
import type { KernelFacts } from '../server/src/atlas/model';

function repoRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

/** Natural order: version numbers numerically, then the plain image before arch/flavour ones. */
function kernelOrder(a: KernelFacts, b: KernelFacts): number {
  const va = a.meta.id.split(/[-.]/);
  const vb = b.meta.id.split(/[-.]/);
  for (let i = 0; i < Math.max(va.length, vb.length); i++) {
    const x = va[i];
    const y = vb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = Number(x);
    const ny = Number(y);
    if (!Number.isNaN(nx) && !Number.isNaN(ny) && nx !== ny) return nx - ny;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function main(): void {
  const root = repoRoot();
  let factsDir = path.join(root, '.cache', 'facts');
  let outDir = path.join(root, 'data', 'atlas');
  let quality = 11;
  const families: string[] = [];
  const fromAtlas: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--facts') factsDir = argv[++i];
    else if (a === '--from-atlas') fromAtlas.push(argv[++i]);
    else if (a === '--out') outDir = argv[++i];
    else if (a === '--quality') quality = Number(argv[++i]);
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else families.push(a);
  }
  if (fromAtlas.length) {
    fs.mkdirSync(outDir, { recursive: true });
    for (const file of fromAtlas) {
      const source = AtlasFile.open(file);
      const kernels = source.kernels().map((m) => source.loadFacts(m.id));
      const family = path.basename(file, '.atlas');
      writeChecked(path.join(outDir, `${family}.atlas`), kernels, quality, `${source.generator}, re-encoded`);
    }
    return;
  }
  const files = fs.existsSync(factsDir) ? fs.readdirSync(factsDir).filter((f) => f.endsWith('.json')) : [];
  const present = [...new Set(files.map((f) => f.split('-')[0]))].sort();
  const wanted = families.length ? families : present;
  if (!wanted.length) throw new Error(`${factsDir}: no facts files; run scripts/ubuntu/build and the Debian generator first`);
  fs.mkdirSync(outDir, { recursive: true });
  for (const family of wanted) {
    const mine = files.filter((f) => f.startsWith(`${family}-`));
    if (!mine.length) throw new Error(`${factsDir}: no ${family}-*.json facts`);
    const kernels = mine.map((f) => {
      const file = path.join(factsDir, f);
      const facts = JSON.parse(fs.readFileSync(file, 'utf8')) as KernelFacts;
      if (!facts?.meta?.id || !Array.isArray(facts.functions)) throw new Error(`${file}: not a KernelFacts JSON file`);
      return atlasOrder(facts);
    }).sort(kernelOrder);
    writeChecked(path.join(outDir, `${family}.atlas`), kernels, quality, `bpf-atlas scripts/build-bundle (${family})`);
  }
}

/** The facts with every list in the order an atlas file gives it back: by name (records are
 *  numbered by name). Records of the same name (anonymous enums, two structs of one name, module
 *  copies) come back in the order they were first met across all kernels of the file, so with
 *  `ties` they are put in one order of their own (by content), for comparing. */
function atlasOrder(facts: KernelFacts, ties = false): KernelFacts {
  const by = <T>(key: (t: T) => string) => (a: T, b: T) => {
    const x = key(a);
    const y = key(b);
    if (x !== y) return x < y ? -1 : 1;
    if (!ties) return 0;
    const p = sortedJson(a);
    const q = sortedJson(b);
    return p < q ? -1 : p > q ? 1 : 0;
  };
  const name = by<{ name: string }>((x) => x.name);
  const out: KernelFacts = {
    ...facts,
    functions: [...facts.functions].sort(name),
    tracepoints: [...facts.tracepoints].sort(by((t) => `${t.name}\0${t.system ?? ''}`)),
    syscalls: [...facts.syscalls].sort(name),
    lsmHooks: [...facts.lsmHooks].sort(name),
  };
  if (facts.types) out.types = { structs: [...facts.types.structs].sort(name), typedefs: [...facts.types.typedefs].sort(name), enums: [...facts.types.enums].sort(name) };
  return out;
}

/** JSON with object keys in sorted order: the same text for the same content, whatever order a
 *  reader or a generator put the keys in. */
function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${sortedJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Write a bundle, then read every kernel back: a bundle that does not load the facts it was
 *  given must never be shipped. */
function writeChecked(out: string, kernels: KernelFacts[], quality: number, generator: string): void {
  const t0 = Date.now();
  const tmp = `${out}.new`;
  const bytes = writeAtlasFile(tmp, kernels, { quality, generator });
  const check = AtlasFile.open(tmp);
  for (const k of kernels) {
    const back = check.loadFacts(k.meta.id);
    if (!isDeepStrictEqual(atlasOrder(back, true), atlasOrder(k, true))) throw new Error(`${out}: ${k.meta.id} does not read back as written`);
  }
  fs.renameSync(tmp, out);
  console.log(`${out}: ${kernels.length} kernels, ${(bytes / 1e6).toFixed(2)} MB, ${Date.now() - t0} ms`);
}

try {
  main();
} catch (e) {
  console.error(`build-bundle: ${(e as Error).message}`);
  process.exit(1);
}
