// Test inputs for the load checks: KernelFeatures of every bundled kernel, with the enums each
// kernel itself has. Debian: the enums of the kernel's own BTF (the image packages in
// $BPF_ATLAS_DEB_DIR, as for the reader tests). Ubuntu: DepSurf's per-image enums, until the atlas
// carries them (issue 15); without that file the Ubuntu kernels are left out and the tests that
// need them say so.

import fs from 'node:fs';
import { Atlas } from '../../../server/src/atlas/atlas';
import { parseElf } from '../../../server/src/kernel/elf';
import { imageBtf } from '../../../server/src/kernel/imageFacts';
import { type EnumSource, btfEnums, kernelFeatures, listedEnums } from '../../../server/src/knowledge/kernelFeatures';
import type { KernelFeatures } from '../../../server/src/knowledge/loadability';
import { debianVmlinux } from '../../../scripts/debian/testInputs';

export const UBUNTU_ENUMS = process.env.BPF_ATLAS_DEPSURF_ENUMS ?? '/work/shared/data/depsurf/bpf-enums.json';

/** Why Ubuntu kernels are missing, or undefined when they are there. */
export function ubuntuSkip(): string | undefined {
  return fs.existsSync(UBUNTU_ENUMS) ? undefined : `needs the Ubuntu images' enums (${UBUNTU_ENUMS}) until the atlas carries them`;
}

const atlas = new Atlas({ live: false });

function debianEnums(id: string): EnumSource {
  const vm = debianVmlinux(id);
  return btfEnums(imageBtf(parseElf(vm.bytes, vm.file)));
}

let ubuntu: Record<string, Record<string, [string, number][]>> | undefined;
function ubuntuEnums(release: string, arch: string): EnumSource | undefined {
  if (!ubuntu) {
    if (!fs.existsSync(UBUNTU_ENUMS)) return undefined;
    ubuntu = (JSON.parse(fs.readFileSync(UBUNTU_ENUMS, 'utf8')) as { kernels: typeof ubuntu }).kernels;
  }
  const rows = ubuntu![`${release}-${arch}`];
  return rows ? listedEnums(rows) : undefined;
}

const cache = new Map<string, KernelFeatures | undefined>();

/** The kernel with its enums; undefined when its enums are not at hand (Ubuntu without the file). */
export function kernel(id: string): KernelFeatures | undefined {
  if (cache.has(id)) return cache.get(id);
  const k = atlas.get(id);
  const enums = id.startsWith('debian-') ? debianEnums(id) : ubuntuEnums(k.meta.release, k.meta.arch);
  const features = enums ? kernelFeatures(k as Parameters<typeof kernelFeatures>[0], enums) : undefined;
  cache.set(id, features);
  return features;
}

export function bundledIds(): string[] {
  return atlas.list().map((m) => m.id);
}

export function versionOf(id: string): string {
  return atlas.list().find((m) => m.id === id)!.version;
}
