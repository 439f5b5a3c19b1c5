// Fixture helper for feature tests: loads a file from test/fixtures, strips its `/*^*/` markers
// (optionally named: `/*^prev*/`) and records where each stood, analyses it with the real parser
// and document store, and builds a FeatureContext over the bundled atlas and knowledge.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { AnalysisCache } from '../../server/src/analysis/cache';
import { Atlas } from '../../server/src/atlas/atlas';
import type { FeatureContext } from '../../server/src/features/shared/context';
import { loadKnowledge } from '../../server/src/knowledge/load';
import type { Knowledge } from '../../server/src/knowledge/types';
import { DEFAULT_SETTINGS } from '../../server/src/settings';
import type { TextEdit } from 'vscode-languageserver';
import { LineMap, type Position } from '../../server/src/syntax/cModel';
import { DocumentStore, type AnalyzedDocument } from '../../server/src/syntax/documents';
import { loadCParser, loadPythonParser } from '../../server/src/syntax/parser';
import { repoRoot } from '../repoRoot';
export { repoRoot };


export interface Fixture {
  /** Path relative to test/fixtures. */
  name: string;
  /** Text with the markers removed. */
  text: string;
  /** Marker positions in order of appearance. */
  markers: Position[];
  /** Named markers (`/*^name*\/`). */
  named: Map<string, Position>;
}

const MARKER = /\/\*\^([A-Za-z0-9_.-]*)\*\//g;

/** Removes markers from `source` and returns their positions in the stripped text. */
export function stripMarkers(source: string, name = '<inline>'): Fixture {
  let text = '';
  let last = 0;
  const offsets: { offset: number; label: string }[] = [];
  for (const m of source.matchAll(MARKER)) {
    text += source.slice(last, m.index);
    offsets.push({ offset: text.length, label: m[1] });
    last = m.index! + m[0].length;
  }
  text += source.slice(last);
  const lines = new LineMap(text);
  const markers = offsets.map((o) => lines.positionAt(o.offset));
  const named = new Map<string, Position>();
  offsets.forEach((o, i) => { if (o.label) named.set(o.label, markers[i]); });
  return { name, text, markers, named };
}

export function loadFixture(relPath: string): Fixture {
  const file = path.join(repoRoot(), 'test', 'fixtures', relPath);
  return stripMarkers(fs.readFileSync(file, 'utf8'), relPath);
}

/** The named marker, or a clear failure naming the fixture. */
export function marker(f: Fixture, label?: string): Position {
  const pos = label === undefined ? f.markers[0] : f.named.get(label);
  if (!pos) throw new Error(`fixture ${f.name} has no marker ${label ?? '(first)'}`);
  return pos;
}

let storePromise: Promise<DocumentStore> | undefined;

/** One document store per test process, over the real tree-sitter C parser and the bundled
 *  libbpf section table, as the server builds it. */
export function documentStore(): Promise<DocumentStore> {
  storePromise ??= Promise.all([loadCParser(), loadPythonParser()])
    .then(([parser, pythonParser]) => new DocumentStore({ parser, pythonParser, resolveSection: bundledKnowledge().sectionPrefix }));
  return storePromise;
}

let version = 0;

/** Opens the fixture as a document (C unless it ends in .bt or .py). */
export async function openFixture(f: Fixture): Promise<AnalyzedDocument> {
  const store = await documentStore();
  const languageId = f.name.endsWith('.bt') ? 'bpftrace' : f.name.endsWith('.py') ? 'python' : 'c';
  return store.open(`file:///fixtures/${f.name}`, languageId, ++version, f.text);
}

let knowledge: Knowledge | undefined;
let cache: AnalysisCache | undefined;
let atlas: Atlas | undefined;

/** The repository's data/ folder (tests never read the shared folders outside the repo). */
export function repoDataDir(): string {
  return path.join(repoRoot(), 'data');
}

/** The knowledge tables of data/knowledge, loaded once. */
export function bundledKnowledge(): Knowledge {
  knowledge ??= loadKnowledge(path.join(repoDataDir(), 'knowledge'));
  return knowledge;
}

/** A FeatureContext over the bundled atlases and knowledge, for the given target kernel ids. */
export function featureContext(targets: readonly string[]): FeatureContext {
  atlas ??= new Atlas({ dataDir: repoDataDir(), live: false });
  cache ??= new AnalysisCache();
  return { atlas, cache, targets, settings: DEFAULT_SETTINGS, knowledge: bundledKnowledge() };
}

/** Applies LSP text edits (non-overlapping, any order) to a text, as an editor applies a fix. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const lines = new LineMap(text);
  const sorted = edits
    .map((e) => ({ start: lines.offsetAt(e.range.start), end: lines.offsetAt(e.range.end), text: e.newText }))
    .sort((a, b) => b.start - a.start || b.end - a.end);
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i].end <= sorted[i - 1].start, 'edits overlap');
  let out = text;
  for (const e of sorted) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}
