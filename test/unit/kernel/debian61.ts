// Test helper: a real split-BTF pair, the .BTF of Debian 12's (6.1) vmlinux and of its ext4.ko,
// taken from the image package with the repository's own readers (scripts/debian/testInputs.ts
// finds the package fetched by scripts/debian/fetch.sh and caches the decompressed vmlinux) and
// written under .cache/test-kernel so bpftool can read the same bytes. A missing package throws
// with the fetch instruction: the tests fail on a machine without their inputs.

import fs from 'node:fs';
import path from 'node:path';
import { debianModule, debianVmlinux, repoRoot } from '../../../scripts/debian/testInputs';
import { parseElf } from '../../../server/src/kernel/elf';

export interface SplitPair { base: Uint8Array; module: Uint8Array; baseFile: string; moduleFile: string }

function btfSection(bytes: Uint8Array, file: string): Uint8Array {
  const elf = parseElf(bytes, file);
  const s = elf.section('.BTF');
  if (!s) throw new Error(`${file} has no .BTF section`);
  return elf.sectionBytes(s);
}

/** Written under a temporary name and renamed, so a concurrent test never reads half a file. */
function writeAtomic(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}

export function debian61Ext4(): SplitPair {
  const cache = path.join(repoRoot(), '.cache', 'test-kernel', 'debian-6.1');
  const baseFile = path.join(cache, 'vmlinux.btf');
  const moduleFile = path.join(cache, 'ext4.btf');
  if (!fs.existsSync(baseFile) || !fs.existsSync(moduleFile)) {
    fs.mkdirSync(cache, { recursive: true });
    const vm = debianVmlinux('debian-12');
    const ko = debianModule('debian-12', '*/kernel/fs/ext4/ext4.ko', 'ext4.ko');
    writeAtomic(moduleFile, btfSection(fs.readFileSync(ko), ko));
    writeAtomic(baseFile, btfSection(vm.bytes, vm.file));
  }
  return { base: fs.readFileSync(baseFile), module: fs.readFileSync(moduleFile), baseFile, moduleFile };
}
