// Rebuilds the Debian KernelFacts files (.cache/facts/debian-<n>.json) from Debian's kernel
// packages with the project's own readers: vmlinuz → vmlinux, kallsyms decoded from the image,
// the image's BTF, the vmlinux data walks, the modules' split BTF, and the DWARF inline classes
// computed offline from the -dbg packages (scripts/debian/dwarf-inline.sh), and the kernel's
// capabilities from its build configuration (the image package's /boot/config-*, the headers
// package's .config for 7.x).
//
// usage (after `npx tsc -p .`):
//   node out/scripts/debian/build.js [--debs DIR] [--inline DIR] [--out DIR] [--work DIR] [--no-modules] [ID...]
// Defaults: --debs $BPF_ATLAS_DEB_DIR or .cache/debs, --inline ../shared/data/debian (only this rebuild
// reads it), --out .cache/facts, --work .cache/debian. IDs default to all four kernels.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { extractVmlinux } from '../../server/src/kernel/bzimage';
import { findKernelImage, findModuleDir, unpackDeb } from '../../server/src/kernel/deb';
import { parseElf } from '../../server/src/kernel/elf';
import { InlineInfo, factsFromVmlinux, imageBtf, parseInlineTsv } from '../../server/src/kernel/imageFacts';
import { capabilitiesFromConfig, configuredLsms, parseKernelConfig } from '../../server/src/kernel/config';
import { decodeKallsyms } from '../../server/src/kernel/kallsymsImage';
import type { KernelCapabilities } from '../../server/src/model/facts';
import { findModuleFiles, modulesFacts } from '../../server/src/kernel/modules';
import { DEBIAN_KERNELS, DebianKernel, debFileName } from './kernels';

const root = path.resolve(__dirname, '..', '..', '..');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const debDir = path.resolve(arg('--debs') ?? process.env.BPF_ATLAS_DEB_DIR ?? path.join(root, '.cache/debs'));
const inlineDir = path.resolve(arg('--inline') ?? path.join(root, '..', 'shared', 'data', 'debian'));
const outDir = path.resolve(arg('--out') ?? path.join(root, '.cache/facts'));
const workDir = path.resolve(arg('--work') ?? path.join(root, '.cache/debian'));
const withModules = !process.argv.includes('--no-modules');
const optionValues = new Set(['--debs', '--inline', '--out', '--work'].map((o) => arg(o)).filter(Boolean));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--') && !optionValues.has(a));

function debPath(pkg: string, k: DebianKernel): string {
  const p = path.join(debDir, debFileName(pkg, k.debVersion));
  if (!fs.existsSync(p)) throw new Error(`${p} is missing: run scripts/debian/fetch.sh (or pass --debs DIR)`);
  return p;
}

/** vmlinux of a kernel, cached under the work dir. */
function vmlinuxOf(k: DebianKernel, work: string): { bytes: Uint8Array; file: string } {
  const cached = path.join(work, 'vmlinux');
  if (fs.existsSync(cached)) return { bytes: fs.readFileSync(cached), file: cached };
  const tree = path.join(work, 'image');
  fs.rmSync(tree, { recursive: true, force: true });
  // Each package into a folder of its own (unpackDeb wants a fresh one).
  const trees = k.imagePackages.map((pkg) => {
    const dir = path.join(tree, pkg);
    unpackDeb(debPath(pkg, k), dir, [k.imageMember]);
    return dir;
  });
  const image = findKernelImage(...trees);
  const bytes = extractVmlinux(fs.readFileSync(image), image);
  fs.writeFileSync(cached, bytes);
  return { bytes, file: cached };
}

/** Unpacked (and for .ko.xz decompressed) modules of a kernel, cached under the work dir. */
function moduleFilesOf(k: DebianKernel, work: string): string[] {
  const tree = path.join(work, 'modules');
  const done = path.join(tree, '.unpacked');
  if (!fs.existsSync(done)) {
    fs.rmSync(tree, { recursive: true, force: true });
    const pkg = k.modulesPackage ?? k.imagePackages[0];
    unpackDeb(debPath(pkg, k), tree, [k.moduleMember]);
    // One xz per core over all files: much faster than one spawn per module.
    const r = spawnSync('bash', ['-c', 'find "$1" -name "*.ko.xz" -print0 | xargs -0 -r -P2 -n 100 xz -d -f', 'bash', tree], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`decompressing the modules of ${k.id} failed`);
    fs.writeFileSync(done, '');
  }
  const dir = findModuleDir(tree);
  return dir ? findModuleFiles(dir) : [];
}

/** The kernel's build configuration from its package, as capabilities (kernel/config.ts). A
 *  bundled kernel's active LSMs are CONFIG_LSM: what it boots with unless lsm= says otherwise. */
function capabilitiesOf(k: DebianKernel, work: string): KernelCapabilities {
  const tree = path.join(work, 'config');
  fs.rmSync(tree, { recursive: true, force: true });
  unpackDeb(debPath(k.configPackage, k), tree, [k.configMember]);
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else found.push(p);
    }
  };
  walk(tree);
  if (found.length !== 1) throw new Error(`${k.configPackage}: expected one ${k.configMember}, found ${found.length}`);
  const source = `/${path.relative(tree, found[0])} of ${k.configPackage} ${k.debVersion}`;
  const config = { options: parseKernelConfig(fs.readFileSync(found[0], 'utf8')), source, complete: true };
  return capabilitiesFromConfig(config, configuredLsms(config, ' (the default; lsm= at boot can change it)'));
}

function readInline(k: DebianKernel): Map<string, InlineInfo> | undefined {
  const f = path.join(inlineDir, `${k.inlinePrefix}-inline.tsv.gz`);
  const self = path.join(inlineDir, `${k.inlinePrefix}-self-sites.tsv.gz`);
  if (!fs.existsSync(f)) {
    console.warn(`${k.id}: no DWARF inline data at ${f}: inline status will be 'unknown'`);
    return undefined;
  }
  const text = zlib.gunzipSync(fs.readFileSync(f)).toString('utf8');
  const selfText = fs.existsSync(self) ? zlib.gunzipSync(fs.readFileSync(self)).toString('utf8') : undefined;
  return parseInlineTsv(text, selfText, f);
}

function build(k: DebianKernel): void {
  const t0 = Date.now();
  const lap: Record<string, number> = {};
  let t = t0;
  const mark = (what: string) => { const n = Date.now(); lap[what] = n - t; t = n; };
  const work = path.join(workDir, k.id);
  fs.mkdirSync(work, { recursive: true });
  const vm = vmlinuxOf(k, work);
  mark('vmlinux');
  const elf = parseElf(vm.bytes, vm.file);
  const btf = imageBtf(elf);
  const symbols = decodeKallsyms(elf).symbols;
  mark('btf+kallsyms');
  let modules;
  if (withModules && k.moduleBtf) {
    const files = moduleFilesOf(k, work);
    mark('unpack modules');
    modules = modulesFacts(files, btf);
    for (const e of modules.errors.slice(0, 5)) console.warn(`${k.id}: module skipped: ${e}`);
    mark('modules');
  }
  const inline = readInline(k);
  mark('inline tsv');
  const capabilities = capabilitiesOf(k, work);
  mark('config');
  const pkgs = [...k.imagePackages, ...(k.modulesPackage ? [k.modulesPackage] : [])].join(' + ');
  const provenance = `Debian ${pkgs} ${k.debVersion} (${k.suite}): kallsyms decoded from the image, its .BTF, `
    + `__mcount_loc, kprobe blacklist, _ftrace_events/syscall metadata read from the vmlinux`
    + (modules ? `, split BTF of ${modules.withBtf} modules` : ', modules not included (no module BTF)')
    + (inline ? `; inline classes from the DWARF of linux-image-${k.release}-dbg ${k.debVersion}` : '');
  const { facts, stats } = factsFromVmlinux({
    vmlinux: vm.bytes, file: vm.file, btf, symbols, inline, modules,
    meta: {
      id: k.id, release: k.release, version: k.version, arch: 'x86_64', distro: 'debian', codename: k.codename,
      lts: k.lts, source: 'bundled', provenance, coverage: { modules: !!modules },
    },
  });
  facts.meta.capabilities = capabilities;
  mark('facts');
  fs.mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, `${k.id}.json`);
  fs.writeFileSync(out, JSON.stringify(facts));
  mark('write');
  const moduleFunctions = facts.functions.filter((f) => f.module).length;
  console.log(JSON.stringify({
    id: k.id, out, bytes: fs.statSync(out).size, ms: Date.now() - t0, laps: lap, ...stats,
    functions: facts.functions.length, moduleFunctions, tracepoints: facts.tracepoints.length,
    moduleTracepoints: facts.tracepoints.filter((x) => x.module).length,
    syscalls: facts.syscalls.length, lsmHooks: facts.lsmHooks.length, kfuncs: facts.kfuncs?.length ?? 0,
    modules: modules ? { files: modules.modules, withBtf: modules.withBtf, errors: modules.errors.length } : null,
  }));
}

const kernels = wanted.length ? DEBIAN_KERNELS.filter((k) => wanted.includes(k.id)) : DEBIAN_KERNELS;
if (wanted.length && kernels.length !== wanted.length) {
  console.error(`unknown kernel id in ${wanted.join(' ')}; known: ${DEBIAN_KERNELS.map((k) => k.id).join(' ')}`);
  process.exit(2);
}
let failed = false;
for (const k of kernels) {
  try {
    build(k);
  } catch (e) {
    failed = true;
    console.error(`${k.id}: ${(e as Error).message}`);
  }
}
process.exit(failed ? 1 : 0);
