// Where go to definition lands: the generated per-kernel headers (features/kernelHeader.ts) written
// as read-only files under the user's cache (~/.cache/bpf-atlas/headers/<kind>/<name>@<kernels>.h),
// so the definition works in every LSP editor, and the place to land in each.

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Location } from 'vscode-languageserver';
import { userCacheDir } from '../atlas/liveCache';
import { type DefinitionResult, spotIn } from '../features/definition';

/** Writes `text` to `file` unless it already holds exactly that, as a read-only file (the user
 *  reads a kernel's declaration there; an edit would be lost the next time it is generated).
 *  Written to a temporary name and renamed, so a concurrent reader never sees half a header. */
function writeReadOnly(file: string, text: string): void {
  try {
    if (fs.readFileSync(file, 'utf8') === text) return;
  } catch {
    // Not there yet.
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o444 });
  fs.renameSync(tmp, file);
}

/** Writes the headers of a definition into `cacheDir` (default the user's cache) and returns the
 *  location to land on in each: the declared name, field or parameter. */
export function headerLocations(result: DefinitionResult, cacheDir = userCacheDir()): Location[] {
  return result.headers.map((header) => {
    const file = path.join(cacheDir, 'headers', result.subject.kind, header.fileName);
    writeReadOnly(file, header.text);
    const at = spotIn(header, result.spot);
    const word = /^\w+/.exec(header.text.split('\n')[at.line]?.slice(at.character) ?? '')?.[0] ?? '';
    return { uri: pathToFileURL(file).href, range: { start: at, end: { line: at.line, character: at.character + word.length } } };
  });
}
