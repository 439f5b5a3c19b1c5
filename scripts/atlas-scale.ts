// How an atlas file grows with the number of BTF-only kernels it holds (what `index --btf` over a
// btfhub tree or `merge` of a fleet writes), and what a lookup in it costs: for 10, 100 and 500
// kernels (or --kernels N,N,...), the file size, bytes per kernel, the time to write it, and the
// time to open the file, load one kernel and answer a function and a struct member question.
//
// Kernels are real BTF (the running kernel's /sys/kernel/btf/vmlinux, and the .BTF of the Debian
// images in $BPF_ATLAS_DEB_DIR when present) read with the project's reader, then synthesised
// into variants the way neighbouring builds of one distro differ: each variant changes a few
// prototypes, drops and adds a few functions, renames a member in a few structs (shifting the
// offsets after it) and adds an enumerator. Deterministic (seeded). Prints one JSON document.
//
//   node out/scripts/atlas-scale.js [--kernels 10,100,500] [--quality 6] [--out DIR]
//
// Called by the bench (`npm run bench`, after tsc); also useful on its own.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AtlasFile, AtlasWriter } from '../server/src/atlas/format';
import { KernelIndex } from '../server/src/atlas/kernelIndex';
import type { KernelFacts, StructFacts } from '../server/src/atlas/model';
import { parseElf } from '../server/src/kernel/elf';
import { factsOfKernel } from '../server/src/atlas/kernelAtlas';
import { openBtfFileKernel } from '../server/src/kernel/liveIndex';
import { DEBIAN_KERNELS, debFileName } from './debian/kernels';
import { debianVmlinux } from './debian/testInputs';

/** mulberry32: a small seeded generator, so every run builds the same variants. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** A BTF file's facts, as `index --btf` reads them. */
function btfKernel(file: string, id: string, release: string, arch: string | undefined): KernelFacts {
  return factsOfKernel(openBtfFileKernel(file, { id, release, arch }).kernel, { source: 'file' });
}

/** Real BTF-only kernels available here. */
function baseKernels(tmp: string): KernelFacts[] {
  const out: KernelFacts[] = [];
  const live = '/sys/kernel/btf/vmlinux';
  try {
    fs.accessSync(live, fs.constants.R_OK);
    out.push(btfKernel(live, 'live', fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(), undefined));
  } catch {
    /* not readable here */
  }
  const debs = process.env.BPF_ATLAS_DEB_DIR;
  for (const k of DEBIAN_KERNELS) {
    if (!debs || !fs.existsSync(path.join(debs, debFileName(k.imagePackages[0], k.debVersion)))) continue;
    const vm = debianVmlinux(k.id);
    const elf = parseElf(vm.bytes, vm.file);
    const file = path.join(tmp, `${k.id}.btf`);
    fs.writeFileSync(file, elf.sectionBytes(elf.section('.BTF')!));
    out.push(btfKernel(file, k.id, k.release, 'x86_64'));
  }
  if (!out.length) throw new Error('no real BTF here: /sys/kernel/btf/vmlinux is unreadable and BPF_ATLAS_DEB_DIR has no Debian kernel packages');
  return out;
}

/** Variant `v` of a base kernel: a few functions, structs and enums changed. */
function variant(base: KernelFacts, v: number): KernelFacts {
  const r = rng(v * 7919 + base.meta.id.length);
  const pick = <T>(list: readonly T[]) => Math.floor(r() * list.length);
  const functions = base.functions.slice();
  for (let i = 0; i < 5; i++) {
    const at = pick(functions);
    const f = functions[at];
    if (f.proto) functions[at] = { ...f, proto: { ...f.proto, params: [...f.proto.params, { name: `v${v}`, type: 'int' }] } };
  }
  for (let i = 0; i < 3; i++) functions.splice(pick(functions), 1);
  for (let i = 0; i < 2; i++) functions.push({ name: `variant_${v}_fn${i}`, symbols: [`variant_${v}_fn${i}`], inBtf: true, inline: 'unknown', ftrace: null, kprobeBlacklisted: null, proto: { ret: 'int', params: [] } });
  functions.sort(byName);
  const types = base.types!;
  const structs = types.structs.slice();
  for (let i = 0; i < 3; i++) {
    const at = pick(structs);
    const s: StructFacts = structs[at];
    if (!s.members.length) continue;
    const m = pick(s.members);
    structs[at] = {
      ...s,
      members: s.members.map((x, j) => (j === m ? { ...x, name: `${x.name}_v${v}` } : j > m && x.bitOffset !== undefined ? { ...x, bitOffset: x.bitOffset + 32 } : x)),
    };
  }
  const enums = types.enums.slice();
  const e = pick(enums);
  enums[e] = { ...enums[e], values: [...enums[e].values, { name: `VARIANT_${v}`, value: 1000 + v }] };
  return {
    ...base,
    meta: { ...base.meta, id: `${base.meta.id}-v${v}`, release: `${base.meta.release}-v${v}` },
    functions,
    types: { structs, typedefs: types.typedefs, enums },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function main(): void {
  const argv = process.argv.slice(2);
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const counts = (arg('--kernels') ?? '10,100,500').split(',').map(Number);
  const quality = Number(arg('--quality') ?? 6);
  const outDir = arg('--out') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-scale-'));
  const keep = arg('--out') !== undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-scale-btf-'));
  try {
    const t0 = performance.now();
    const bases = baseKernels(tmp);
    const readMs = performance.now() - t0;
    const results: { kernels: number; bytes: number; bytesPerKernel: number; marginalBytesPerKernel: number | null; writeMs: number; openMs: number; loadKernelMs: number; firstFunctionMs: number; firstMemberMs: number }[] = [];
    let prev: { kernels: number; bytes: number } | undefined;
    for (const n of counts) {
      const w0 = performance.now();
      const writer = new AtlasWriter();
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const base = bases[i % bases.length];
        const k = i < bases.length ? base : variant(base, Math.floor(i / bases.length));
        writer.add(k);
        ids.push(k.meta.id);
      }
      const bytes = writer.encode({ quality, generator: 'bpf-atlas scripts/atlas-scale' });
      const file = path.join(outDir, `scale-${n}.atlas`);
      fs.writeFileSync(file, bytes);
      const writeMs = performance.now() - w0;
      // Cold questions: open the file, load one kernel, one function and one member, for a few
      // kernels spread over the file (each with a fresh AtlasFile: nothing cached between them).
      const open: number[] = [];
      const load: number[] = [];
      const fnQ: number[] = [];
      const memberQ: number[] = [];
      for (const id of [ids[0], ids[Math.floor(n / 2)], ids[n - 1]]) {
        for (let rep = 0; rep < 3; rep++) {
          const a = performance.now();
          const f = AtlasFile.open(file);
          const b = performance.now();
          const k = new KernelIndex(f.load(id));
          const c = performance.now();
          if (!k.fn('vfs_read')) throw new Error(`${id}: vfs_read not found`);
          const d = performance.now();
          const m = k.types()!.member('task_struct', 'pid');
          if (m.status !== 'present') throw new Error(`${id}: task_struct.pid is ${m.status}`);
          const e = performance.now();
          open.push(b - a);
          load.push(c - b);
          fnQ.push(d - c);
          memberQ.push(e - d);
        }
      }
      const r = {
        kernels: n,
        bytes: bytes.length,
        bytesPerKernel: Math.round(bytes.length / n),
        marginalBytesPerKernel: prev ? Math.round((bytes.length - prev.bytes) / (n - prev.kernels)) : null,
        writeMs: Math.round(writeMs),
        openMs: round(median(open)),
        loadKernelMs: round(median(load)),
        firstFunctionMs: round(median(fnQ)),
        firstMemberMs: round(median(memberQ)),
      };
      process.stderr.write(`${JSON.stringify(r)}\n`);
      results.push(r);
      prev = { kernels: n, bytes: bytes.length };
      if (!keep) fs.rmSync(file);
    }
    const out = {
      what: 'atlas file size and cold lookup time against the number of BTF-only kernels (real BTF plus synthesised variants)',
      bases: bases.map((b) => ({ id: b.meta.id, release: b.meta.release, functions: b.functions.length, structs: b.types?.structs.length ?? 0 })),
      readBasesMs: Math.round(readMs),
      quality,
      results,
      sublinearSize: results.every((x, i) => i === 0 || x.bytesPerKernel < results[i - 1].bytesPerKernel),
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!keep) fs.rmSync(outDir, { recursive: true, force: true });
  }
}

main();
