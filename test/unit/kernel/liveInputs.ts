// Test helper: the running kernel's files as tests read them. Which are readable decides what a
// test can check (each test skips with a reason when its source is not there), and a sysRoot made
// of the real BTF and chosen files stands for a machine that shows less of itself.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const LIVE_BTF = '/sys/kernel/btf/vmlinux';

export function readable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** False when the running kernel's BTF is readable, else the reason to skip. */
export const btfSkip: false | string = readable(LIVE_BTF) ? false : `${LIVE_BTF} is not readable here`;

/** A temporary sysRoot: the real BTF linked in, chosen files written, everything else absent. */
export function fakeSysRoot(files: Record<string, string | Buffer>, linkBtf = true): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sysroot-'));
  if (linkBtf) {
    fs.mkdirSync(path.join(root, 'sys/kernel/btf'), { recursive: true });
    fs.symlinkSync(LIVE_BTF, path.join(root, 'sys/kernel/btf/vmlinux'));
  }
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}
