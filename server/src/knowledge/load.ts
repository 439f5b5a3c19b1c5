// Loads the static knowledge files of data/knowledge/ and answers the Knowledge queries over them.
// Each file is read on first use only (helpers.json is the large one and most requests never need
// it), checked for the shape the queries rely on, and indexed once. A missing or corrupt file
// raises an Error that names the file and the offending row, never a TypeError deep inside a feature.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type {
  BpftraceBuiltin, Equivalent, Evidence, HelperDoc, KfuncData, KfuncSource, Knowledge, ProgramTypeSource, ProgramTypesData,
  SectionPrefix, SectionProgType, TypeSince, VersionFloor,
} from './types';
import { compileGlob, type Glob } from '../model/glob';
import { baseName } from '../model/symbols';

/** File names inside the knowledge folder. */
export const KNOWLEDGE_FILES = {
  sections: 'sections.json',
  equivalents: 'equivalents.json',
  evidence: 'evidence.json',
  helpers: 'helpers.json',
  bpftraceBuiltins: 'bpftrace-builtins.json',
  programTypes: 'program-types.json',
  kfuncs: 'kfuncs.json',
  bpfTypes: 'bpf-types.json',
} as const;

export class KnowledgeFileError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`knowledge file ${file}: ${detail}`);
    this.name = 'KnowledgeFileError';
  }
}

type Row = Record<string, unknown>;

/** Reads `name` (or `name.gz`) from `dir` and parses it as JSON. */
function readJsonFile(dir: string, name: string): { file: string; value: unknown } {
  const plain = path.join(dir, name);
  const gz = plain + '.gz';
  let file = plain;
  let text: string;
  try {
    if (fs.existsSync(plain)) {
      text = fs.readFileSync(plain, 'utf8');
    } else if (fs.existsSync(gz)) {
      file = gz;
      text = zlib.gunzipSync(fs.readFileSync(gz)).toString('utf8');
    } else {
      throw new KnowledgeFileError(plain, 'missing (data/knowledge is incomplete; see data/knowledge/README.md for how it is built)');
    }
  } catch (err) {
    if (err instanceof KnowledgeFileError) throw err;
    throw new KnowledgeFileError(file, `cannot be read: ${(err as Error).message}`);
  }
  try {
    return { file, value: JSON.parse(text) };
  } catch (err) {
    throw new KnowledgeFileError(file, `not valid JSON: ${(err as Error).message}`);
  }
}

/** Field checks for one row; each returns an error text or undefined. */
type FieldCheck = (row: Row) => string | undefined;

const str = (key: string, optional = false): FieldCheck => (row) => {
  const v = row[key];
  if (v === undefined && optional) return undefined;
  return typeof v === 'string' && (optional || v.length > 0) ? undefined : `"${key}" must be a non-empty string`;
};
const bool = (key: string, optional = false): FieldCheck => (row) => {
  const v = row[key];
  if (v === undefined && optional) return undefined;
  return typeof v === 'boolean' ? undefined : `"${key}" must be a boolean`;
};
const strArray = (key: string, optional = false): FieldCheck => (row) => {
  const v = row[key];
  if (v === undefined && optional) return undefined;
  return Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0)
    ? undefined : `"${key}" must be an array of non-empty strings`;
};
const obj = (key: string): FieldCheck => (row) => {
  const v = row[key];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : `"${key}" must be an object`;
};
const arr = (key: string): FieldCheck => (row) => (Array.isArray(row[key]) ? undefined : `"${key}" must be an array`);
const oneOf = (key: string, values: readonly string[]): FieldCheck => (row) =>
  values.includes(row[key] as string) ? undefined : `"${key}" must be one of ${values.join(', ')}`;

/** Takes `value[key]` as an array of rows and checks every row; throws naming file and row. */
function rows<T>(file: string, value: unknown, key: string, checks: FieldCheck[]): T[] {
  const list = value !== null && typeof value === 'object' ? (value as Row)[key] : undefined;
  if (!Array.isArray(list)) throw new KnowledgeFileError(file, `expected an object with a "${key}" array`);
  list.forEach((row, i) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw new KnowledgeFileError(file, `${key}[${i}] is not an object`);
    }
    for (const check of checks) {
      const problem = check(row as Row);
      if (problem) throw new KnowledgeFileError(file, `${key}[${i}]: ${problem}`);
    }
  });
  return list as T[];
}

const checkAlternatives: FieldCheck = (row) => {
  const alts = row.alternative;
  if (!Array.isArray(alts) || alts.length === 0) return '"alternative" must be a non-empty array';
  for (const [i, alt] of alts.entries()) {
    if (alt === null || typeof alt !== 'object') return `alternative[${i}] is not an object`;
    const problem = str('kind')(alt as Row) ?? str('name')(alt as Row) ?? str('system', true)(alt as Row);
    if (problem) return `alternative[${i}]: ${problem}`;
  }
  return undefined;
};

const checkPitfalls: FieldCheck = (row) => {
  const list = row.pitfalls;
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) return '"pitfalls" must be an array';
  for (const [i, p] of list.entries()) {
    const problem = str('text')(p as Row) ?? str('source')(p as Row);
    if (problem) return `pitfalls[${i}]: ${problem}`;
  }
  return undefined;
};

/** Memoises a file's parsed and indexed form; a failure is remembered and rethrown. */
function lazy<T>(build: () => T): () => T {
  let state: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  return () => {
    if (!state) {
      try {
        state = { ok: true, value: build() };
      } catch (error) {
        state = { ok: false, error };
      }
    }
    if (!state.ok) throw state.error;
    return state.value;
  };
}

interface SectionData {
  prefixes: SectionPrefix[];
  longestFirst: SectionPrefix[];
  floors: VersionFloor[];
}

interface EquivalentIndex {
  byName: Map<string, Equivalent[]>;
  patterns: { glob: Glob; row: Equivalent }[];
}

/** Builds the Knowledge over the files of `dir` (usually `path.join(dataDir(), 'knowledge')`). */
export function loadKnowledge(dir: string): Knowledge {
  const sections = lazy(() => readSections(dir));
  const equivalents = lazy(() => readEquivalents(dir));
  const evidence = lazy(() => readEvidence(dir));
  const helpers = lazy(() => readHelpers(dir));
  const programTypes = lazy(() => readProgramTypes(dir));
  const kfuncs = lazy(() => readKfuncs(dir));
  const typeSince = lazy(() => readTypeSince(dir));
  const builtins = lazy(() => readBuiltins(dir));

  return {
    sectionPrefixes: () => sections().prefixes,
    sectionPrefix: (section) => matchSectionPrefix(sections().longestFirst, section),
    equivalentsFor: (functionName) => findEquivalents(equivalents(), functionName),
    evidenceFor: (subject) => findEvidence(evidence(), subject),
    helper: (name) => helpers().get(name),
    helpers: () => [...helpers().values()],
    versionFloors: () => sections().floors,
    bpftraceBuiltins: () => builtins(),
    programTypes: () => programTypes(),
    kfuncData: () => kfuncs(),
    typeSince: (name) => typeSince().get(name),
    bpfTypes: () => [...typeSince().values()],
  };
}

/** The section prefixes and version floors of sections.json, prefixes also sorted longest first. */
function readSections(dir: string): SectionData {
  const { file, value } = readJsonFile(dir, KNOWLEDGE_FILES.sections);
  const prefixes = rows<SectionPrefix>(file, value, 'prefixes', [
    str('prefix'), bool('takesTarget'), str('summary'), str('source'), str('kind', true),
    str('targetFormat', true), str('macro', true), str('since', true), bool('sleepable', true), bool('pattern', true),
  ]);
  const floors = rows<VersionFloor>(file, value, 'versionFloors', [str('feature'), str('minKernel'), str('source')]);
  // Matching tries the longest prefix first, so the first match is the most specific one;
  // the table order (tracing first, as libbpf lists them) is kept for completion lists.
  const longestFirst = [...prefixes].sort((a, b) => b.prefix.length - a.prefix.length);
  return { prefixes, longestFirst, floors };
}

/** The equivalents file, indexed by exact function name and by glob pattern. */
function readEquivalents(dir: string): EquivalentIndex {
  const { file, value } = readJsonFile(dir, KNOWLEDGE_FILES.equivalents);
  const list = rows<Equivalent>(file, value, 'equivalents', [
    strArray('functions'), checkAlternatives, oneOf('strength', ['equivalent', 'related']),
    str('evidence'), str('source'), str('since', true), str('caveat', true),
  ]);
  const index: EquivalentIndex = { byName: new Map(), patterns: [] };
  for (const row of list) {
    for (const fn of row.functions) {
      if (/[*?]/.test(fn)) {
        index.patterns.push({ glob: compileGlob(fn, 'libbpf'), row });
      } else {
        const existing = index.byName.get(fn) ?? [];
        existing.push(row);
        index.byName.set(fn, existing);
      }
    }
  }
  return index;
}

/** The evidence file, indexed by subject and by the event name of `system:event` subjects. */
function readEvidence(dir: string): Map<string, Evidence[]> {
  const { file, value } = readJsonFile(dir, KNOWLEDGE_FILES.evidence);
  const list = rows<Evidence>(file, value, 'evidence', [
    str('ref'), str('url'), str('title'), strArray('subjects'), str('gist'), str('source'), str('hazard', true),
  ]);
  const bySubject = new Map<string, Evidence[]>();
  const add = (key: string, row: Evidence) => {
    const existing = bySubject.get(key) ?? [];
    if (!existing.includes(row)) existing.push(row);
    bySubject.set(key, existing);
  };
  for (const row of list) {
    for (const subject of row.subjects) {
      add(subject, row);
      // `block:block_io_start` is also found by its event name alone.
      const colon = subject.lastIndexOf(':');
      if (colon > 0) add(subject.slice(colon + 1), row);
    }
  }
  return bySubject;
}

/** The helper docs file, by helper name. */
function readHelpers(dir: string): Map<string, HelperDoc> {
  const { file, value } = readJsonFile(dir, KNOWLEDGE_FILES.helpers);
  const list = rows<HelperDoc>(file, value, 'helpers', [
    str('name'), str('proto'), str('description', true), str('returns', true), str('since', true), str('sinceSource', true), str('source'), checkPitfalls,
  ]);
  return new Map(list.map((h) => [h.name, h]));
}

/** The program types file, its kernels in upstream version order. */
function readProgramTypes(dir: string): ProgramTypesData {
  const { file, value } = readJsonFile(dir, KNOWLEDGE_FILES.programTypes);
  const sections = rows<SectionProgType>(file, value, 'sections', [str('prefix'), str('progType'), bool('sleepable'), bool('takesTarget'), str('source')]);
  const kernels = rows<ProgramTypeSource>(file, value, 'kernels', [
    str('version'), str('kernel'), str('source'), str('config'),
    obj('configValues'), obj('helperIds'), obj('progTypes'), obj('funcProtos'), obj('protos'), obj('sets'),
  ]);
  const libbpfFallbacks = rows<ProgramTypesData['libbpfFallbacks'][number]>(file, value, 'libbpfFallbacks', [str('helper'), str('fallback'), str('source')]);
  return { sections, libbpfFallbacks, kernels: sortByVersion(kernels) };
}

/** The kfuncs file, its kernels in upstream version order. */
function readKfuncs(dir: string): KfuncData {
  const { file, value } = readJsonFile(dir, KNOWLEDGE_FILES.kfuncs);
  const kernels = rows<KfuncSource>(file, value, 'kernels', [
    str('version'), str('kernel'), str('source'), str('config'), obj('configValues'),
    oneOf('mechanism', ['none', 'check_kfunc_call', 'id_sets']), arr('hooks'), arr('sets'),
  ]);
  return { kernels: sortByVersion(kernels) };
}

/** The BPF map and program types file, by type name. */
function readTypeSince(dir: string): Map<string, TypeSince> {
  const { file, value } = readJsonFile(dir, KNOWLEDGE_FILES.bpfTypes);
  const list = rows<TypeSince>(file, value, 'types', [oneOf('kind', ['map', 'prog']), str('name'), str('since'), str('source'), str('commit', true)]);
  return new Map(list.map((t) => [t.name, t]));
}

/** The bpftrace builtins file. */
function readBuiltins(dir: string): BpftraceBuiltin[] {
  const { file, value } = readJsonFile(dir, KNOWLEDGE_FILES.bpftraceBuiltins);
  return rows<BpftraceBuiltin>(file, value, 'builtins', [
    str('name'), oneOf('kind', ['variable', 'function', 'map-function', 'probe']), str('doc'), str('source'),
    str('signature', true), strArray('aliases', true),
  ]);
}

/** The evidence rows of `subject`, trying its accepted spellings in turn. */
function findEvidence(index: Map<string, Evidence[]>, subject: string): Evidence[] {
  // Accepts `block:block_rq_issue`, libbpf's `block/block_rq_issue`, bpftrace's
  // `tracepoint:block:block_rq_issue`, an event or function name, or a clone name.
  const colons = subject.replace(/\//g, ':');
  const last = colons.slice(colons.lastIndexOf(':') + 1);
  const lastTwo = colons.split(':').slice(-2).join(':');
  for (const key of [subject, colons, lastTwo, last, baseName(last)]) {
    const found = index.get(key);
    if (found) return found;
  }
  return [];
}

/** Rows in upstream version order (the interpolation relies on it). */
function sortByVersion<T extends { version: string }>(list: T[]): T[] {
  const key = (v: string) => v.split('.').map((x) => parseInt(x, 10) || 0);
  return [...list].sort((a, b) => {
    const ka = key(a.version), kb = key(b.version);
    return (ka[0] - kb[0]) || ((ka[1] ?? 0) - (kb[1] ?? 0));
  });
}

/** libbpf's rule: a prefix matches the whole section name, or (when it takes a target) the part
 *  before a `/`. `prefixes` must be sorted longest first so `kprobe.multi/x` is not `kprobe`. */
export function matchSectionPrefix(prefixes: readonly SectionPrefix[], section: string): SectionPrefix | undefined {
  for (const p of prefixes) {
    if (section === p.prefix) return p;
    if (p.takesTarget && section.startsWith(p.prefix + '/')) return p;
  }
  return undefined;
}

/** Rows for `functionName` or its base name (`finish_task_switch.isra.0` → `finish_task_switch`),
 *  with `{fn}` / `{stem}` in alternative names filled in for this function. */
function findEquivalents(index: EquivalentIndex, functionName: string): Equivalent[] {
  const base = baseName(functionName);
  const found: { row: Equivalent; stem: string }[] = [];
  const seen = new Set<Equivalent>();
  for (const name of base === functionName ? [functionName] : [functionName, base]) {
    for (const row of index.byName.get(name) ?? []) {
      if (!seen.has(row)) {
        seen.add(row);
        found.push({ row, stem: base });
      }
    }
  }
  for (const { glob, row } of index.patterns) {
    if (seen.has(row) || !glob.test(base)) continue;
    seen.add(row);
    found.push({ row, stem: glob.firstStar(base) ?? base });
  }
  return found.map(({ row, stem }) => {
    if (!row.alternative.some((a) => a.name.includes('{'))) return row;
    return {
      ...row,
      alternative: row.alternative.map((a) => ({
        ...a,
        name: a.name.replace(/\{fn\}/g, base).replace(/\{stem\}/g, stem),
      })),
    };
  });
}
