// Shared set-up for the bpftrace feature tests: the real bundled atlas and knowledge (data/, or
// BPF_ATLAS_DATA through dataDir()), a
// FeatureContext for chosen target kernels, fixture scripts from test/fixtures/bt, and a cursor
// marker `‸` for positions in inline scripts.

import fs from 'node:fs';
import path from 'node:path';
import { AnalysisCache } from '../../../server/src/analysis/cache';
import { Atlas } from '../../../server/src/atlas/atlas';
import { dataDir } from '../../../server/src/dataDir';
import { loadKnowledge } from '../../../server/src/knowledge/load';
import { DEFAULT_SETTINGS, type Settings } from '../../../server/src/settings';
import type { FeatureContext } from '../../../server/src/features/shared/context';
import { parseBpftrace, positionAt, type BtPosition } from '../../../server/src/syntax/bpftrace';
import type { BtDocumentLike } from '../../../server/src/features/bpftrace/common';
import { repoRoot } from '../../repoRoot';
export { repoRoot };


const root = repoRoot();
const atlas = new Atlas({ dataDir: dataDir(), live: false });
const knowledge = loadKnowledge(path.join(dataDir(), 'knowledge'));
const cache = new AnalysisCache();

export function context(targets: string[], settings: Partial<Settings> = {}): FeatureContext {
  return { atlas, knowledge, cache, targets, settings: { ...DEFAULT_SETTINGS, ...settings } };
}

export function fixtureText(name: string): string {
  return fs.readFileSync(path.join(root, 'test', 'fixtures', 'bt', name), 'utf8');
}

export function docOf(text: string, uri = 'file:///test/script.bt'): BtDocumentLike {
  return { uri, text, bt: parseBpftrace(text) };
}

/** A document from text holding one `‸` cursor marker, and the marker's position. */
export function docAtCursor(textWithCursor: string): { doc: BtDocumentLike; pos: BtPosition } {
  const at = textWithCursor.indexOf('‸');
  if (at < 0) throw new Error('no ‸ cursor marker in test text');
  const text = textWithCursor.slice(0, at) + textWithCursor.slice(at + 1);
  const doc = docOf(text);
  return { doc, pos: positionAt(doc.bt as ReturnType<typeof parseBpftrace>, at) };
}

/** Position of the first occurrence of `needle` (plus `delta` characters) in a document. */
export function positionOf(doc: BtDocumentLike, needle: string, delta = 0): BtPosition {
  const text = doc.text ?? '';
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`${needle} not in document`);
  return positionAt(doc.bt as ReturnType<typeof parseBpftrace>, at + delta);
}
