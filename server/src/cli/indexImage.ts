// The kernel images `bpf-atlas index` reads: a vmlinux (or vmlinuz/bzImage) file, and Debian or
// Ubuntu kernel packages (image, and modules when split), each turned into one kernel's facts by
// the image readers of server/src/kernel. Loaded by cli/index.ts only for --vmlinux and --deb.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KernelFacts, KernelMeta } from '../atlas/model';
import type { CliIo } from './io';
import { extractVmlinux } from '../kernel/bzimage';
import { findKernelImage, findModuleDir, KERNEL_MEMBERS, unpackDeb } from '../kernel/deb';
import { parseElf } from '../kernel/elf';
import { factsFromVmlinux, imageBtf } from '../kernel/imageFacts';
import { versionOf } from '../kernel/liveIndex';
import { findModuleFiles, modulesFacts } from '../kernel/modules';

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

export function fromVmlinux(file: string, id: string): KernelFacts {
  let bytes: Uint8Array = fs.readFileSync(file);
  if (!isElf(bytes)) bytes = extractVmlinux(bytes, file);
  const release = bannerRelease(bytes) ?? 'unknown';
  return factsFromVmlinux({
    vmlinux: bytes, file,
    meta: baseMeta(id, release, elfArch(bytes), `bpf-atlas index --vmlinux ${path.basename(file)}: kallsyms, BTF, mcount, blacklist and trace events read from the image (no modules, no DWARF inline data)`),
  }).facts;
}

export function fromDebs(debs: string[], id: string, io: CliIo): KernelFacts {
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
