// The files beside a BPF source that say how it is used: its user-space loader (`foo.c` next to
// `foo.bpf.c`, a Go file that generates its bindings from it, a Rust file using its skeleton) and
// the local headers it includes (for sections built by macros). Read from disk by the front ends'
// document store; a file that cannot be read is simply not there.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoaderSource } from './loader';

/** Largest companion file read (loaders and headers are tens of KB). */
const MAX_COMPANION_BYTES = 2 * 1024 * 1024;

export interface Companions {
  loaders: LoaderSource[];
  headers: string[];
}

function readSmall(file: string): string | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > MAX_COMPANION_BYTES) return undefined;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The loader files and local headers of the C document at `uri` (a file: URI), from `text`. */
export function readCompanions(uri: string, text: string): Companions {
  let file: string;
  try {
    if (!uri.startsWith('file:')) return { loaders: [], headers: [] };
    file = fileURLToPath(uri);
  } catch {
    return { loaders: [], headers: [] };
  }
  const dir = path.dirname(file);
  const base = path.basename(file);
  const loaders: LoaderSource[] = [];
  const stem = base.endsWith('.bpf.c') ? base.slice(0, -'.bpf.c'.length) : undefined;
  if (stem) {
    const c = readSmall(path.join(dir, `${stem}.c`));
    if (c !== undefined) loaders.push({ name: `${stem}.c`, language: 'c', text: c });
    // bpf2go loaders name the source in their go:generate line; libbpf-rs ones use the skeleton.
    const skel = `${stem.replace(/(^|_)(\w)/g, (_m, _u, ch: string) => ch.toUpperCase())}SkelBuilder`;
    for (const d of [dir, path.dirname(dir)]) {
      for (const name of listDir(d)) {
        if (!/\.(go|rs)$/.test(name)) continue;
        const t = readSmall(path.join(d, name));
        if (t === undefined) continue;
        if (name.endsWith('.go') && t.includes(base)) loaders.push({ name: path.relative(dir, path.join(d, name)), language: 'go', text: t });
        if (name.endsWith('.rs') && t.includes(skel)) loaders.push({ name: path.relative(dir, path.join(d, name)), language: 'rust', text: t });
      }
    }
  }
  const headers: string[] = [];
  for (const m of text.matchAll(/^[ \t]*#[ \t]*include[ \t]*"([^"\n]+)"/gm)) {
    const h = readSmall(path.resolve(dir, m[1]));
    if (h !== undefined && /#\s*define[^\n]*\bSEC\s*\(|\bSEC\s*\([^\n]*\\\r?\n/.test(h)) headers.push(h);
  }
  return { loaders, headers };
}
