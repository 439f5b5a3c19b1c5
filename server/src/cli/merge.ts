// `bpf-atlas merge A.atlas B.atlas... -o fleet.atlas`: join atlas files built on many hosts
// (`index --live` on each node, `index --btf` over archives, bundles) into one file whose kernels
// share their records. A kernel id already taken by an earlier file is renamed after its file;
// the same id with the same facts is kept once. With --unique, kernels whose facts equal an
// earlier kernel's (the same build on many nodes) are kept once, their other ids named in the
// provenance of the one kept.

import fs from 'node:fs';
import path from 'node:path';
import { AtlasFile, AtlasWriter, writeAtlasBytes } from '../atlas/format';
import { parseArgs, type ParsedArgs } from './args';
import type { CliIo } from './io';
import { usageError } from './kernels';

export const MERGE_USAGE = `usage: bpf-atlas merge FILE... -o OUT [--unique] [--small]

Joins atlas files (from \`bpf-atlas index\`, on many hosts) into one file holding every kernel;
kernels share what they have in common, so a fleet's file stays small.

  FILE...          atlas files (or folders: every *.atlas in them)
  -o, --output OUT the atlas file to write
  --unique         keep one kernel per distinct set of facts (the same kernel build on many
                   nodes): the first id is kept, the others are named in its provenance
  --small          compress harder (smaller file, slower to write)
`;

function atlasFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (fs.statSync(p).isDirectory()) {
      for (const n of fs.readdirSync(p).filter((x) => x.endsWith('.atlas')).sort()) out.push(path.join(p, n));
    } else {
      out.push(p);
    }
  }
  return out;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv.map((a) => (a === '-o' ? '--output' : a)), ['--unique', '--small', '--help', '-h'], ['--output']);
  } catch (e) {
    return usageError(io, 'merge', (e as Error).message, MERGE_USAGE);
  }
  if (args.flags.has('--help') || args.flags.has('-h')) {
    io.stdout.write(MERGE_USAGE);
    return 0;
  }
  const outputs = args.values.get('--output') ?? [];
  if (outputs.length !== 1) return usageError(io, 'merge', 'give the atlas file to write with -o FILE', MERGE_USAGE);
  if (!args.positional.length) return usageError(io, 'merge', 'give the atlas files to merge', MERGE_USAGE);
  for (const p of args.positional) if (!fs.existsSync(p)) return usageError(io, 'merge', `${p}: no such file`, MERGE_USAGE);
  const out = outputs[0];
  const t0 = Date.now();
  const files = atlasFiles(args.positional).filter((f) => path.resolve(f) !== path.resolve(out));
  if (!files.length) return usageError(io, 'merge', `no *.atlas files in ${args.positional.join(', ')}`, MERGE_USAGE);

  const writer = new AtlasWriter();
  const unique = args.flags.has('--unique');
  /** Ids left out as the same facts as a kept kernel, to name in its provenance. */
  const alsoAs = new Map<string, string[]>();
  try {
    for (const file of files) {
      const atlas = AtlasFile.open(file);
      for (const meta of atlas.kernels()) {
        const facts = atlas.loadFacts(meta.id);
        const id = writer.has(meta.id) ? freeId(writer, `${meta.id}-${path.basename(file).replace(/\.atlas$/, '')}`) : meta.id;
        // A taken id with the same facts is the same kernel listed twice: kept once.
        const r = writer.add({ ...facts, meta: { ...facts.meta, id } }, { skipIf: (same) => unique || (id !== meta.id && same === meta.id) });
        if (!r.added) {
          if (r.sameAs !== meta.id) alsoAs.set(r.sameAs!, [...(alsoAs.get(r.sameAs!) ?? []), meta.id]);
          continue;
        }
        if (id !== meta.id) io.stderr.write(`bpf-atlas merge: kernel id ${meta.id} of ${file} is taken by a different kernel: stored as ${id}\n`);
      }
    }
  } catch (e) {
    io.stderr.write(`bpf-atlas merge: ${(e as Error).message}\n`);
    return 1;
  }
  for (const [id, others] of alsoAs) {
    writer.note(id, `; the same kernel facts as ${others.join(', ')}`);
    io.stderr.write(`bpf-atlas merge: ${id} also stands for ${others.join(', ')} (same facts)\n`);
  }
  try {
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    const bytes = writer.encode({ quality: args.flags.has('--small') ? 11 : 6, generator: `bpf-atlas merge of ${files.length} files` });
    writeAtlasBytes(out, bytes);
    const check = AtlasFile.open(out);
    for (const m of check.kernels()) check.load(m.id);
    io.stdout.write(`${out}: ${writer.size} kernels from ${files.length} files; ${(bytes.length / 1e6).toFixed(2)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    return 0;
  } catch (e) {
    io.stderr.write(`bpf-atlas merge: cannot write ${out}: ${(e as Error).message}\n`);
    return 1;
  }
}

function freeId(writer: AtlasWriter, id: string): string {
  if (!writer.has(id)) return id;
  for (let n = 2; ; n++) if (!writer.has(`${id}-${n}`)) return `${id}-${n}`;
}
