// The engine of `bpf-atlas check`: find the BPF sources under the given paths, analyse each with the
// same document model and diagnostics the editor uses, and collect findings. One file that cannot
// be read or analysed becomes a `check-failed` finding; it never ends the run.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver';
import { codeActions } from '../features/codeActions';
import type { FeatureContext } from '../features/shared/context';
import { attachPoints, type AttachPointEntry } from '../features/attachPoints';
import { diagnostics } from '../features/diagnostics';
import { usesBcc } from '../syntax/bcc/bccModel';
import { srcFileUri } from '../syntax/bcc/srcFile';
import { rangeContains } from '../syntax/cModel';
import type { AnalyzedDocument } from '../syntax/documents';
import { fileLoadCheck } from '../analysis/loadCheck';
import { findingForFailure, findingFromDiagnostic, sortFindings, type CheckResult, type Finding, type ProgramRow } from './findings';

/** Turns a file's text into the analysed document (the DocumentStore in production). The caller
 *  releases it with `release` when done. */
export interface DocumentAnalyzer {
  analyze(uri: string, languageId: SourceLanguage, text: string): AnalyzedDocument;
  release(uri: string): void;
}

const SKIPPED_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', 'out', 'dist', '.cache']);

/** A C file worth checking: libbpf programs declare sections. */
function hasSections(text: string): boolean {
  return /\bSEC\s*\(\s*"/.test(text) || /__attribute__\s*\(\s*\(\s*section\s*\(/.test(text);
}

export type SourceLanguage = 'c' | 'bpftrace' | 'python';

export function languageOf(file: string, firstLine = ''): SourceLanguage | undefined {
  if (file.endsWith('.bt')) return 'bpftrace';
  if (file.endsWith('.py')) return 'python';
  if (file.endsWith('.c') || file.endsWith('.h')) return 'c';
  if (/^#!.*\bbpftrace\b/.test(firstLine)) return 'bpftrace';
  return undefined;
}

export interface CollectedFiles {
  files: string[];
  /** Paths that do not exist: the CLI treats these as usage errors. */
  missing: string[];
}

/** The files to check under `paths`: given files as they are (whatever their name), and under
 *  folders every *.bpf.c, every *.c containing a SEC(...), every *.bt and every *.py that imports
 *  bcc, in a stable order. */
export function collectFiles(paths: readonly string[]): CollectedFiles {
  const files: string[] = [];
  const missing: string[] = [];
  const add = (f: string) => { if (!files.includes(f)) files.push(f); };
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    } catch {
      add(dir);
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name) && !e.name.startsWith('.')) walk(p);
      } else if (e.isFile()) {
        if (e.name.endsWith('.bpf.c') || e.name.endsWith('.bt')) add(p);
        else if (e.name.endsWith('.py')) {
          // BCC tools: Python that imports bcc.
          try {
            if (usesBcc(fs.readFileSync(p, 'utf8'))) add(p);
          } catch {
            add(p);
          }
        }
        else if (e.name.endsWith('.c')) {
          try {
            if (hasSections(fs.readFileSync(p, 'utf8'))) add(p);
          } catch {
            add(p);
          }
        }
      }
    }
  };
  for (const given of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(given);
    } catch {
      missing.push(given);
      continue;
    }
    if (stat.isDirectory()) walk(given);
    else add(given);
  }
  return { files, missing };
}

/** A path for output: relative to `cwd` when inside it. */
export function displayPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, path.resolve(cwd, file));
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.resolve(cwd, file);
}

function fixTitles(doc: AnalyzedDocument, d: Diagnostic, ctx: FeatureContext): string[] {
  try {
    // The suppression comment fix is an editor convenience; a CI log lists real rewrites only.
    return codeActions(doc, d.range, [d], ctx)
      .filter((a) => !/\(\/\/ bpf-atlas-ignore\b/.test(a.title))
      .map((a) => `${a.title}${a.isPreferred ? ' (preferred)' : ''}`);
  } catch {
    return [];
  }
}

/** The load verdict of every program of a C document. */
function programRows(doc: AnalyzedDocument, shownAs: string, ctx: FeatureContext): ProgramRow[] {
  if (!doc.c?.programs.length || !ctx.targets.length) return [];
  const check = fileLoadCheck(doc, ctx);
  return doc.c.programs.flatMap((p) => {
    const v = check.byProgram.get(p);
    if (!v) return [];
    return [{
      file: shownAs, line: p.secRange.start.line + 1, name: v.name, section: v.section, kernels: v.kernels,
      reasons: v.reasons.map((r) => ({
        kind: r.kind, effect: r.effect, subject: r.subject, kernels: r.kernels, message: r.message,
        line: r.range ? r.range.start.line + 1 : undefined, evidence: r.evidence, since: r.since,
      })),
      minKernel: v.minKernel,
      needs: v.requirements.map((r) => ({ kind: r.kind, subject: r.subject, since: r.since, note: r.note })),
    }];
  });
}

const fileUri = (file: string) => pathToFileURL(path.resolve(file)).toString();

/** The C files a BCC tool loads with `BPF(src_file=...)` that exist, as paths. */
function loadedCFiles(doc: AnalyzedDocument): string[] {
  const out: string[] = [];
  for (const p of doc.bcc?.programs ?? []) {
    const uri = p.srcFile !== undefined ? srcFileUri(doc.uri, p.srcFile) : undefined;
    if (!uri) continue;
    const file = fileURLToPath(uri);
    try {
      if (fs.statSync(file).isFile() && !out.includes(file)) out.push(file);
    } catch {
      // bcc fails to load the tool there; not an attach finding
    }
  }
  return out;
}

/** In a C file a bcc tool loads: the attaches its loader's calls make, when that loader is checked
 *  too (the call reports them there, at the Python string). */
function reportedByLoader(doc: AnalyzedDocument, checkedUris: ReadonlySet<string>) {
  const loader = doc.bcc?.loader;
  return loader && checkedUris.has(loader.uri) ? doc.bcc!.attachPoints.filter((ap) => ap.loadedBy) : [];
}

export interface CheckFileOptions {
  /** The uris of every file of the run: a loaded C file leaves its loader's calls to it. */
  checkedUris?: ReadonlySet<string>;
  /** Receives the C files a BCC tool loads (`BPF(src_file=...)`) that exist. */
  loads?: string[];
}

/** Findings and program verdicts of one file; failures become a finding. Its attach points go to `points`. */
export function checkFile(file: string, shownAs: string, ctx: FeatureContext, analyzer: DocumentAnalyzer, points: AttachPointEntry[] = [],
  options: CheckFileOptions = {}): { findings: Finding[]; programs: ProgramRow[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { findings: [findingForFailure(shownAs, new Error(`cannot read ${shownAs}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`))], programs: [] };
  }
  const language = languageOf(file, text.split('\n', 1)[0]) ?? 'c';
  const uri = fileUri(file);
  try {
    const doc = analyzer.analyze(uri, language, text);
    try {
      options.loads?.push(...loadedCFiles(doc));
      const elsewhere = reportedByLoader(doc, options.checkedUris ?? new Set());
      const atLoader = (at: { line: number; character: number }) => elsewhere.some((ap) => ap.targetRange && rangeContains(ap.targetRange, at));
      const findings = diagnostics(doc, ctx).filter((d) => !atLoader(d.range.start)).map((d) => findingFromDiagnostic(shownAs, d, fixTitles(doc, d, ctx)));
      points.push(...attachPoints(doc, shownAs, ctx).filter((e) => !atLoader({ line: e.line - 1, character: e.column - 1 })));
      return { findings, programs: programRows(doc, shownAs, ctx) };
    } finally {
      analyzer.release(uri);
    }
  } catch (err) {
    return { findings: [findingForFailure(shownAs, err)], programs: [] };
  }
}

export interface CheckOptions {
  cwd?: string;
}

/** Check already collected files against the context's targets. */
export function checkFiles(files: readonly string[], ctx: FeatureContext, analyzer: DocumentAnalyzer, options: CheckOptions = {}): CheckResult {
  const cwd = options.cwd ?? process.cwd();
  const findings: Finding[] = [];
  const programs: ProgramRow[] = [];
  const shown: string[] = [];
  const points: AttachPointEntry[] = [];
  // C files that the tools load with BPF(src_file=...) are checked after them, as bcc C.
  const queue = [...files];
  const checkedUris = new Set(queue.map(fileUri));
  for (let i = 0; i < queue.length; i++) {
    const file = queue[i];
    const shownAs = displayPath(file, cwd);
    shown.push(shownAs);
    const loads: string[] = [];
    const r = checkFile(file, shownAs, ctx, analyzer, points, { checkedUris, loads });
    for (const c of loads) {
      const u = fileUri(c);
      if (!checkedUris.has(u)) { checkedUris.add(u); queue.push(c); }
    }
    findings.push(...r.findings);
    programs.push(...r.programs);
  }
  return { kernels: [...ctx.targets], files: shown, findings: sortFindings(findings), attachPoints: points, programs };
}
