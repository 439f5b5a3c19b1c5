// `bpf-atlas index [--live | --btf PATH... | --vmlinux FILE | --deb FILE...] -o FILE`: read one kernel
// with the project's readers and write it as a single-kernel atlas file, which every verb (and the
// editor setting bpfAtlas.targetKernels) then takes as a kernel: `--kernel FILE`. Typical use: run
// it on a production host (BTF and kallsyms need no root) and ship the file to your editor.
// `--btf` also takes folders and many files (btfhub-archive's `*.btf.tar.xz` tree included): one
// file then holds every kernel, each with a readable id, sharing what they have in common.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Atlas } from '../atlas/atlas';
import { AtlasFile, AtlasWriter, copyKernelAtlasFile, writeAtlasBytes, writeAtlasFile } from '../atlas/format';
import { factsOfKernel, writeKernelAtlas } from '../atlas/kernelAtlas';
import { liveCacheDir } from '../atlas/liveCache';
import type { KernelFacts, KernelMeta } from '../atlas/model';
import type { CliIo } from './io';
import { extractVmlinux } from '../kernel/bzimage';
import { findKernelImage, findModuleDir, KERNEL_MEMBERS, unpackDeb } from '../kernel/deb';
import { parseElf } from '../kernel/elf';
import { isKernelDataError } from '../kernel/errors';
import { factsFromVmlinux, imageBtf } from '../kernel/imageFacts';
import { btfFileOf, findBtfInputs, type BtfInput } from '../kernel/btfArchive';
import { openBtfFileKernel } from '../kernel/liveIndex';
import { findModuleFiles, modulesFacts } from '../kernel/modules';
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

/** `Linux version 6.1.0-56-amd64 (...)` banner of an image → its release. */
export function bannerRelease(vmlinux: Uint8Array): string | undefined {
  const buf = Buffer.from(vmlinux.buffer, vmlinux.byteOffset, vmlinux.byteLength);
  let at = buf.indexOf('Linux version ', 0, 'latin1');
  while (at >= 0) {
    const m = /^Linux version (\d+\.\d+\S*) /.exec(buf.toString('latin1', at, at + 200));
    if (m) return m[1];
    at = buf.indexOf('Linux version ', at + 1, 'latin1');
  }
  return undefined;
}

function versionOf(release: string): string {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? `${m[1]}.${m[2]}` : release;
}

function elfArch(vmlinux: Uint8Array): string {
  const machine = vmlinux[18] | (vmlinux[19] << 8);
  return ({ 62: 'x86_64', 183: 'arm64', 243: 'riscv64', 21: 'ppc64el', 22: 's390x' } as Record<number, string>)[machine] ?? `elf-machine-${machine}`;
}

function isElf(b: Uint8Array): boolean {
  return b.length > 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

function baseMeta(id: string, release: string, arch: string, provenance: string): Omit<KernelMeta, 'coverage' | 'counts'> {
  return { id, release, version: versionOf(release), arch, source: 'file', provenance };
}

function fromVmlinux(file: string, id: string): KernelFacts {
  let bytes: Uint8Array = fs.readFileSync(file);
  if (!isElf(bytes)) bytes = extractVmlinux(bytes, file);
  const release = bannerRelease(bytes) ?? 'unknown';
  return factsFromVmlinux({
    vmlinux: bytes, file,
    meta: baseMeta(id, release, elfArch(bytes), `bpf-atlas index --vmlinux ${path.basename(file)}: kallsyms, BTF, mcount, blacklist and trace events read from the image (no modules, no DWARF inline data)`),
  }).facts;
}

function fromDebs(debs: string[], id: string, io: CliIo): KernelFacts {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-index-'));
  try {
    // Each package in a folder of its own (one package's files never meet another's), only the
    // image and the modules taken from it.
    const trees = debs.map((deb, i) => {
      const dir = path.join(tree, `package-${i}`);
      unpackDeb(deb, dir, KERNEL_MEMBERS);
      return dir;
    });
    const image = findKernelImage(...trees);
    let bytes: Uint8Array = fs.readFileSync(image);
    if (!isElf(bytes)) bytes = extractVmlinux(bytes, image);
    const elf = parseElf(bytes, image);
    const btf = imageBtf(elf);
    const moduleDir = findModuleDir(...trees);
    let modules;
    if (moduleDir) {
      // One xz per core over all modules: far faster than one process per module. A module
      // that inflates past 1 GiB (real ones stay under 20 MB) is a bomb: ulimit -f stops xz.
      spawnSync('bash', ['-c', 'ulimit -f 1048576 && find "$1" -name "*.ko.xz" -print0 | xargs -0 -r -P2 -n 100 xz -d -f', 'bash', moduleDir], { stdio: 'ignore' });
      modules = modulesFacts(findModuleFiles(moduleDir), btf);
      if (modules.errors.length) io.stderr.write(`bpf-atlas index: ${modules.errors.length} modules skipped (first: ${modules.errors[0]})\n`);
    }
    const release = bannerRelease(bytes) ?? path.basename(image).replace(/^vmlinuz-/, '');
    return factsFromVmlinux({
      vmlinux: bytes, file: image, btf, modules,
      meta: {
        ...baseMeta(id, release, elfArch(bytes), `bpf-atlas index --deb ${debs.map((d) => path.basename(d)).join(' ')}: image kallsyms, BTF, mcount, blacklist, trace events${modules ? `, split BTF of ${modules.withBtf} modules` : ''} (no DWARF inline data)`),
        coverage: { modules: !!modules && modules.withBtf > 0 },
      },
    }).facts;
  } finally {
    fs.rmSync(tree, { recursive: true, force: true });
  }
}

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
      // The running kernel, read once per boot and module set: when the cached live atlas
      // matches it, the file is that atlas under the new id; otherwise it is read now, and the
      // cache is written on the way.
      const atlas = new Atlas({ live: true, liveCacheDir: args.flags.has('--small') ? undefined : liveCacheDir() });
      if (!atlas.hasLive()) throw new Error('the running kernel is not readable here: /sys/kernel/btf/vmlinux is missing or not readable (a kernel without CONFIG_DEBUG_INFO_BTF, or /sys not mounted)');
      const cache = atlas.liveCachePath();
      const kernel = atlas.get('live');
      for (const p of atlas.liveProblems) onProblem(p);
      const saved = atlas.saveLiveCache();
      const from = saved ?? (cache && fs.existsSync(cache) && kernel.meta.source === 'live' && !('loadSymbols' in kernel) ? cache : undefined);
      const meta = { id, source: 'file' as const };
      const bytes = write(() => (from ? copyKernelAtlasFile(from, out, meta) : writeKernelAtlas(out, kernel, { quality, generator: 'bpf-atlas index', meta })));
      return bytes === undefined ? 1 : done(bytes, AtlasFile.open(out).kernels()[0]);
    }
    if (args.values.has('--btf')) {
      const btfFile = args.values.get('--btf')![0];
      const bundled = new Atlas({ live: false });
      const { kernel } = openBtfFileKernel(btfFile, { id, references: () => bundled.referenceKernels(), onProblem });
      const bytes = write(() => writeKernelAtlas(out, kernel, { quality, generator: 'bpf-atlas index', meta: { source: 'file' } }));
      return bytes === undefined ? 1 : done(bytes, AtlasFile.open(out).kernels()[0]);
    }
    let facts: KernelFacts;
    if (args.values.has('--vmlinux')) {
      facts = fromVmlinux(args.values.get('--vmlinux')![0], id);
    } else {
      facts = fromDebs(debs, id, io);
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
