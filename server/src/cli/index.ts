// `bpf-atlas index [--live | --btf PATH... | --vmlinux FILE | --deb FILE...] -o FILE`: read one kernel
// with the project's readers and write it as a single-kernel atlas file, which every verb (and the
// editor setting bpfAtlas.targetKernels) then takes as a kernel: `--kernel FILE`. Typical use: run
// it on a production host (BTF and kallsyms need no root) and ship the file to your editor.
// `--btf` also takes folders and many files (btfhub-archive's `*.btf.tar.xz` tree included): one
// file then holds every kernel, each with a readable id, sharing what they have in common.

import fs from 'node:fs';
import path from 'node:path';
import { Atlas } from '../atlas/atlas';
import { AtlasFile, AtlasWriter, copyKernelAtlasFile, writeAtlasBytes, writeAtlasFile } from '../atlas/format';
import { factsOfKernel, writeKernelAtlas } from '../atlas/kernelAtlas';
import { liveCacheDir } from '../atlas/liveCache';
import type { KernelFacts, KernelMeta } from '../atlas/model';
import type { CliIo } from './io';
import { isKernelDataError } from '../kernel/errors';
import { btfFileOf, findBtfInputs, type BtfInput } from '../kernel/btfArchive';
import { openBtfFileKernel } from '../kernel/liveIndex';
import { parseArgs, type ParsedArgs } from './args';
import { usageError } from './kernels';

export const INDEX_USAGE = `usage: bpf-atlas index (--live | --btf PATH... | --vmlinux FILE | --deb FILE...) -o FILE [--id ID] [--small]

Reads one kernel and writes it as an atlas file that every command takes with --kernel FILE.

  --live           the running kernel: /sys/kernel/btf/vmlinux (+ module BTF), /proc/kallsyms,
                   tracefs when readable (no root needed for BTF and kallsyms)
  --btf PATH...    raw BTF files (e.g. copies of /sys/kernel/btf/vmlinux) or folders of them,
                   including btfhub-archive's <distro>/<version>/<arch>/<release>.btf.tar.xz tree
                   (needs tar and xz): one file with every kernel, ids like rhel-8.6-4.18.0-372
  --vmlinux FILE   a vmlinux ELF or a vmlinuz/bzImage (needs xz or zstd for compressed images)
  --deb FILE...    Debian/Ubuntu kernel packages (image, and modules when split); needs dpkg-deb
  -o, --output FILE  the atlas file to write
  --id ID          the kernel id inside the file (default: the file name without .atlas)
  --small          compress harder (smaller file, slower to write)
`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, ['--live', '--small', '--help', '-h'], ['--btf', '--vmlinux', '--deb', '--output', '-o', '--id']);
  } catch (e) {
    return usageError(io, 'index', (e as Error).message, INDEX_USAGE);
  }
  if (args.flags.has('--help') || args.flags.has('-h')) {
    io.stdout.write(INDEX_USAGE);
    return 0;
  }
  const target = indexTarget(args, io);
  if (typeof target === 'number') return target;
  const { debs, btfPaths, out, id } = target;
  if (btfPaths.length > 1 || (btfPaths.length === 1 && (fs.statSync(btfPaths[0]).isDirectory() || btfPaths[0].endsWith('.tar.xz')))) {
    return indexBtfCollection(btfPaths, out, args, io);
  }

  const t0 = Date.now();
  const onProblem = (m: string) => io.stderr.write(`bpf-atlas index: note: ${m}\n`);
  const done = (bytes: number, m: KernelMeta) => {
    io.stdout.write(`${out}: kernel ${id} (${m.release} ${m.arch}): ${m.counts.functions} functions, ${m.counts.tracepoints} tracepoints, ${m.counts.syscalls} syscalls, ${m.counts.lsmHooks} LSM hooks; ${(bytes / 1e6).toFixed(2)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    io.stdout.write(`use it with: bpf-atlas lookup --kernel ${out} TARGET\n`);
    return 0;
  };
  const write = (what: () => number): number | undefined => {
    try {
      fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
      const bytes = what();
      AtlasFile.open(out).load(id);
      return bytes;
    } catch (e) {
      io.stderr.write(`bpf-atlas index: cannot write ${out}: ${(e as Error).message}\n`);
      return undefined;
    }
  };
  const quality = args.flags.has('--small') ? 11 : 6;
  try {
    if (args.flags.has('--live')) {
      const bytes = indexLive(args, out, id, quality, onProblem, write);
      return bytes === undefined ? 1 : done(bytes, AtlasFile.open(out).kernels()[0]);
    }
    if (args.values.has('--btf')) {
      const btfFile = args.values.get('--btf')![0];
      const bundled = new Atlas({ live: false });
      const { kernel } = openBtfFileKernel(btfFile, { id, references: () => bundled.referenceKernels(), onProblem });
      const bytes = write(() => writeKernelAtlas(out, kernel, { quality, generator: 'bpf-atlas index', meta: { source: 'file' } }));
      return bytes === undefined ? 1 : done(bytes, AtlasFile.open(out).kernels()[0]);
    }
    // The image readers (and the package unpacker) are loaded for these two only.
    const images = await import('./indexImage');
    let facts: KernelFacts;
    if (args.values.has('--vmlinux')) {
      facts = images.fromVmlinux(args.values.get('--vmlinux')![0], id);
    } else {
      facts = images.fromDebs(debs, id, io);
    }
    facts = { ...facts, meta: { ...facts.meta, id, source: 'file' } };
    const bytes = write(() => writeAtlasFile(out, [facts], { quality, generator: 'bpf-atlas index' }));
    return bytes === undefined ? 1 : done(bytes, facts.meta);
  } catch (e) {
    io.stderr.write(`bpf-atlas index: ${(e as Error).message}\n`);
    if (!isKernelDataError(e) && process.env.BPF_ATLAS_DEBUG) io.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}

interface IndexTarget { debs: string[]; btfPaths: string[]; out: string; id: string }

/** The index verb's inputs, output file and kernel id, checked: or the exit status of a usage error. */
function indexTarget(args: ParsedArgs, io: CliIo): IndexTarget | number {
  // `--deb a.deb b.deb`: the packages after --deb arrive as positional arguments.
  const debs = [...(args.values.get('--deb') ?? []), ...(args.values.has('--deb') ? args.positional : [])];
  // `--btf dir1 dir2 a.btf`: likewise.
  const btfPaths = [...(args.values.get('--btf') ?? []), ...(args.values.has('--btf') && !args.values.has('--deb') ? args.positional : [])];
  if (!args.values.has('--deb') && !args.values.has('--btf') && args.positional.length) return usageError(io, 'index', `unexpected argument ${args.positional[0]}`, INDEX_USAGE);
  const sources = [args.flags.has('--live'), args.values.has('--btf'), args.values.has('--vmlinux'), debs.length > 0].filter(Boolean).length;
  if (sources !== 1) return usageError(io, 'index', sources ? 'give only one of --live, --btf, --vmlinux, --deb' : 'give one of --live, --btf FILE, --vmlinux FILE, --deb FILE...', INDEX_USAGE);
  const outputs = args.values.get('--output') ?? [];
  if (outputs.length !== 1) return usageError(io, 'index', 'give the atlas file to write with -o FILE', INDEX_USAGE);
  const out = outputs[0];
  const id = args.values.get('--id')?.[0] ?? path.basename(out).replace(/\.atlas$/, '');
  // Inputs are read whole: a FIFO or a device would block or never end, so regular files only
  // (stat does not open, so it cannot block); --btf also takes folders of BTF files.
  for (const f of [...btfPaths, ...(args.values.get('--vmlinux') ?? []), ...debs]) {
    let st: fs.Stats;
    try {
      st = fs.statSync(f);
    } catch {
      return usageError(io, 'index', `${f}: no such file`, INDEX_USAGE);
    }
    if (st.isDirectory() && btfPaths.includes(f)) continue;
    if (!st.isFile()) return usageError(io, 'index', `${f}: not a regular file (${st.isFIFO() ? 'a FIFO' : st.isDirectory() ? 'a directory' : 'a device or socket'})`, INDEX_USAGE);
  }
  return { debs, btfPaths, out, id };
}

/** `index --live`: the cached live atlas copied under the new id, else the running kernel read and
 *  written (the cache saved on the way); the bytes written, or undefined when writing failed. */
function indexLive(args: ParsedArgs, out: string, id: string, quality: number, onProblem: (m: string) => void,
  write: (what: () => number) => number | undefined): number | undefined {
  // The running kernel, read once per boot and module set: when the cached live atlas
  // matches it, the file is that atlas under the new id; otherwise it is read now, and the
  // cache is written on the way.
  const atlas = new Atlas({ live: true, liveCacheDir: args.flags.has('--small') ? undefined : liveCacheDir() });
  if (!atlas.hasLive()) throw new Error('the running kernel is not readable here: /sys/kernel/btf/vmlinux is missing or not readable (a kernel without CONFIG_DEBUG_INFO_BTF, or /sys not mounted)');
  const meta = { id, source: 'file' as const };
  const copy = (from: string): number | undefined => {
    try {
      fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
      const bytes = copyKernelAtlasFile(from, out, meta);
      // Every section checked against its checksum; the copy decodes none of them.
      AtlasFile.open(out).checkKernel(id);
      return bytes;
    } catch {
      return undefined; // a damaged cache: the kernel is read afresh below
    }
  };
  const cache = atlas.liveCachePath();
  let bytes = cache && fs.existsSync(cache) ? copy(cache) : undefined;
  if (bytes === undefined) {
    const kernel = atlas.get('live');
    for (const p of atlas.liveProblems) onProblem(p);
    const saved = atlas.saveLiveCache();
    bytes = saved ? copy(saved) : undefined;
    bytes ??= write(() => writeKernelAtlas(out, kernel, { quality, generator: 'bpf-atlas index', meta }));
  }
  return bytes;
}

/** `index --btf` over folders or many files: every BTF file found becomes a kernel of one atlas
 *  file, read and added one at a time (memory holds the distinct records, not every kernel). */
async function indexBtfCollection(paths: string[], out: string, args: ParsedArgs, io: CliIo): Promise<number> {
  const t0 = Date.now();
  let inputs: BtfInput[];
  try {
    inputs = findBtfInputs(paths);
  } catch (e) {
    io.stderr.write(`bpf-atlas index: ${(e as Error).message}\n`);
    return 1;
  }
  if (!inputs.length) {
    io.stderr.write(`bpf-atlas index: no BTF files (raw BTF or *.btf.tar.xz) under ${paths.join(', ')}\n`);
    return 1;
  }
  if (args.values.has('--id') && inputs.length > 1) return usageError(io, 'index', `--id names one kernel, but ${inputs.length} BTF files were found: their ids come from their names`, INDEX_USAGE);
  const bundled = new Atlas({ live: false });
  // The same few notes hold for every bare BTF file: each is said once, with how often.
  const notes = new Map<string, number>();
  const writer = new AtlasWriter();
  const failed: string[] = [];
  for (const input of inputs) {
    const id = inputs.length === 1 ? args.values.get('--id')?.[0] ?? input.id : input.id;
    let unpacked: { file: string; done(): void } | undefined;
    try {
      unpacked = btfFileOf(input);
      const file = unpacked.file;
      const { kernel } = openBtfFileKernel(file, {
        id, release: input.release, arch: input.arch, references: () => bundled.referenceKernels(),
        onProblem: (m) => {
          const general = m.replace(file, 'BTF file');
          notes.set(general, (notes.get(general) ?? 0) + 1);
        },
      });
      const where = input.distro ? `btfhub-archive layout ${input.relPath}` : input.relPath;
      const facts = factsOfKernel(kernel, {
        id, source: 'file',
        ...(input.distro ? { distro: input.distro } : {}),
        provenance: `bpf-atlas index --btf ${where}: BTF only (prototypes, raw tracepoints, LSM hooks, kfuncs, types); no symbol table, ftrace or blacklist data`,
      });
      writer.add(facts);
      io.stderr.write(`bpf-atlas index: ${id} (${input.relPath})\n`);
    } catch (e) {
      failed.push(`${input.file}: ${(e as Error).message}`);
      io.stderr.write(`bpf-atlas index: skipped ${input.file}: ${(e as Error).message}\n`);
    } finally {
      unpacked?.done();
    }
  }
  for (const [m, n] of notes) io.stderr.write(`bpf-atlas index: note: ${m}${n > 1 ? ` (${n} kernels)` : ''}\n`);
  if (!writer.size) {
    io.stderr.write('bpf-atlas index: no kernel could be read\n');
    return 1;
  }
  try {
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    const bytes = writer.encode({ quality: args.flags.has('--small') ? 11 : 6, generator: 'bpf-atlas index --btf' });
    writeAtlasBytes(out, bytes);
    const check = AtlasFile.open(out);
    const ids = check.kernels().map((m) => m.id);
    check.load(ids[0]);
    io.stdout.write(`${out}: ${ids.length} kernels (${ids.slice(0, 8).join(', ')}${ids.length > 8 ? ', ...' : ''}); ${(bytes.length / 1e6).toFixed(2)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    if (failed.length) io.stdout.write(`${failed.length} file(s) skipped (see above)\n`);
    io.stdout.write(`use it with: bpf-atlas lookup --kernel ${out} TARGET (every kernel of the file), or name it in bpfAtlas.atlasFiles\n`);
    return failed.length ? 1 : 0;
  } catch (e) {
    io.stderr.write(`bpf-atlas index: cannot write ${out}: ${(e as Error).message}\n`);
    return 1;
  }
}
