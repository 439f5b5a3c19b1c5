// Packs per-kernel KernelFacts JSON files (.cache/facts/<family>-*.json, written by
// scripts/ubuntu/build.ts and the Debian generator) into the bundled atlases data/atlas/<family>.atlas,
// one file per family so kernels that share most of their facts share their records.
//
//   node out/scripts/build-bundle.js [--facts DIR] [--out DIR] [--quality 0-11] [FAMILY...]
//   FAMILY defaults to every family with facts present (ubuntu, debian).

import fs from 'node:fs';
import path from 'node:path';
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
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--facts') factsDir = argv[++i];
    else if (a === '--out') outDir = argv[++i];
    else if (a === '--quality') quality = Number(argv[++i]);
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else families.push(a);
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
      return facts;
    }).sort(kernelOrder);
    const out = path.join(outDir, `${family}.atlas`);
    const t0 = Date.now();
    const bytes = writeAtlasFile(out, kernels, { quality, generator: `bpf-atlas scripts/build-bundle (${family})` });
    // Read it back: a bundle that does not load must never be shipped.
    const check = AtlasFile.open(out);
    for (const k of kernels) {
      const d = check.load(k.meta.id);
      if (d.functionNames.length !== k.functions.length) throw new Error(`${out}: ${k.meta.id} read back with ${d.functionNames.length} functions, wrote ${k.functions.length}`);
    }
    console.log(`${out}: ${kernels.length} kernels, ${(bytes / 1e6).toFixed(2)} MB, ${Date.now() - t0} ms`);
  }
}

try {
  main();
} catch (e) {
  console.error(`build-bundle: ${(e as Error).message}`);
  process.exit(1);
}
