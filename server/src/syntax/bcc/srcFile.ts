// `.c` files that a bcc tool loads with `BPF(src_file="x.c")`: which Python file loads a C file,
// and which of its programs. bcc looks the path up as given (relative to the working directory)
// and then next to the script (`BPF._find_file`: the directory of argv[0]); tools are run from
// anywhere, so the directory of the Python file is the one that holds for every user.
//
// `loaderCandidates` reads the disk (the Python files next to a C file); the rest is pure.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { usesBcc } from './bccModel';
import type { BccModel } from './types';

/** A Python file that may load a C file: its uri and text. */
export interface LoaderSource { uri: string; text: string }

/** The C file's uri a `src_file` path names, seen from the Python file's uri; undefined when
 *  either is not a file: uri or the path is empty. */
export function srcFileUri(pythonUri: string, srcFile: string): string | undefined {
  if (!srcFile || !pythonUri.startsWith('file:')) return undefined;
  try {
    const dir = path.dirname(fileURLToPath(pythonUri));
    return pathToFileURL(path.resolve(dir, srcFile)).href;
  } catch {
    return undefined;
  }
}

/** The index of the first program of `model` (the Python file at `pythonUri`) that loads `cUri`. */
export function loadingProgram(model: BccModel, pythonUri: string, cUri: string): number | undefined {
  const want = normalise(cUri);
  const i = model.programs.findIndex((p) => p.srcFile !== undefined && normalise(srcFileUri(pythonUri, p.srcFile)) === want);
  return i < 0 ? undefined : i;
}

function normalise(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  try {
    return pathToFileURL(fileURLToPath(uri)).href;
  } catch {
    return uri;
  }
}

/** Python files larger than this are not read as loader candidates (bcc tools are tens of KB). */
const MAX_LOADER_BYTES = 1024 * 1024;

/** The Python files next to a C file that import bcc and mention its name: the ones that may load
 *  it (the caller confirms with the model). Unreadable folders and files are skipped. */
export function loaderCandidates(cUri: string): LoaderSource[] {
  let file: string;
  try {
    file = fileURLToPath(cUri);
  } catch {
    return [];
  }
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.py')).sort();
  } catch {
    return [];
  }
  const out: LoaderSource[] = [];
  for (const name of names) {
    const p = path.join(dir, name);
    try {
      if (fs.statSync(p).size > MAX_LOADER_BYTES) continue;
      const text = fs.readFileSync(p, 'utf8');
      if (text.includes(base) && usesBcc(text)) out.push({ uri: pathToFileURL(p).href, text });
    } catch {
      // unreadable: not a candidate
    }
  }
  return out;
}
