// Will it load there, for one C file over the target kernels: its needs (loadNeeds.ts), each
// program's verdict from the reason providers (loadVerdict.ts: program type, helpers, kfuncs,
// maps, and the attach point from the one verdict path, verdicts.ts), and the file's minimum
// kernel. Memoised in the one cache per file text and target kernels; features (diagnostics, hover,
// the code lens) and the CLI read the same result.

import type { KernelQuery } from '../atlas/model';
import { kernelFeatures, type KernelLike } from '../knowledge/kernelFeatures';
import { LoadKnowledge, type CallAnswer, type KernelFeatures, type ProgramFacts } from '../knowledge/loadability';
import type { Knowledge } from '../knowledge/types';
import type { BpfProgram, LineMap } from '../syntax/cModel';
import type { AnalysisContext } from './context';
import { kernelOf } from './kernels';
import { fileNeeds, type BodyScan, type FileNeeds, type ProgramNeeds } from './loadNeeds';
import {
  fileVerdict, helperProvider, type AnswerMemo, kfuncProvider, kfuncSinceFrom, mapProvider, programVerdict, progTypeProvider,
  type FileVerdict, type KfuncSince, type LoadReason, type ProgramUnderCheck, type ProgramVerdict, type ReasonProvider,
} from './loadVerdict';
import { isPlaceholderName, programTarget } from './targets';
import { attachVerdicts } from './verdicts';
import type { Tree } from '../syntax/parser';

/** What the load check reads of a document (syntax/documents.ts AnalyzedDocument fits). */
export interface LoadCheckDocument {
  text: string;
  tree?: Tree;
  lines: LineMap;
  c?: { programs: BpfProgram[] };
  /** Set when only a prefix of the text was analysed (syntax/documents.ts MAX_ANALYSED_CHARS). */
  analysedLength?: number;
}

/** The text the model was built from: the load needs (maps, kfunc externs, licence) are read from
 *  the same prefix as the programs, so a huge document costs what its analysed part costs. */
function analysedText(doc: LoadCheckDocument): string {
  return doc.analysedLength === undefined ? doc.text : doc.text.slice(0, doc.analysedLength);
}

export interface FileLoadCheck extends FileVerdict {
  needs: FileNeeds;
  /** The verdict of each program of the document's model, by its index there. */
  byProgram: Map<BpfProgram, ProgramVerdict>;
}

/** The load knowledge over ctx.knowledge, built once per knowledge instance. */
export function loadKnowledgeOf(ctx: Pick<AnalysisContext, 'cache' | 'knowledge'>): LoadKnowledge {
  return ctx.cache.remember('load-knowledge', String(ctx.cache.instanceId(ctx.knowledge)),
    () => new LoadKnowledge(ctx.knowledge.programTypes(), ctx.knowledge.kfuncData(), firstVersionOf(ctx.knowledge)));
}

/** First upstream version of a helper or a BPF type from the knowledge tables (bcc's table, each
 *  checked against the bundled kernels' enums by test/unit/knowledge/since.test.ts). */
export function firstVersionOf(knowledge: Knowledge): (name: string) => { since: string; source: string } | undefined {
  return (name) => {
    const h = name.startsWith('bpf_') ? knowledge.helper(name) : undefined;
    if (h?.since) return { since: h.since, source: h.sinceSource ?? 'helpers.json' };
    const t = knowledge.typeSince(name);
    return t && { since: t.since, source: t.source };
  };
}

/** KernelFeatures of the target kernels that load (the others are left out). */
export function targetFeatures(ctx: AnalysisContext): KernelFeatures[] {
  return ctx.targets.map((id) => kernelOf(ctx, id)).filter((k): k is KernelQuery => !!k)
    .map((k) => featuresOf(ctx, k));
}

/** A loaded kernel's KernelFeatures, made once per kernel and kept with it: its enum answers
 *  (a few dozen distinct questions: helper ids, program, map and attach types) are remembered,
 *  as every diagnostics run asks them again for each program (an atlas enum lookup decodes the
 *  enum each time). The object stays the same between runs, so answers keyed by it (answerMemo)
 *  are found again. */
function featuresOf(ctx: Pick<AnalysisContext, 'cache'>, k: KernelQuery): KernelFeatures {
  return ctx.cache.derived(k, 'kernel-features', () => {
    const f = kernelFeatures(k as unknown as KernelLike);
    const enums = new Map<string, number | undefined | null>();
    return {
      ...f,
      enumValue: (e: string, n: string) => {
        const key = `${e}|${n}`;
        if (enums.has(key)) return enums.get(key);
        const v = f.enumValue(e, n);
        enums.set(key, v);
        return v;
      },
    };
  });
}

/** Answers of the load rules (may this program call that helper or kfunc on this kernel), kept
 *  in the cache between runs: they depend only on the kernel (its KernelFeatures object, one per
 *  loaded kernel), the program's facts and the name, and a file's unchanged programs ask them
 *  again on every edit (50 programs x 30 kernels x their helpers). */
function answerMemo(ctx: Pick<AnalysisContext, 'cache'>, kind: string): AnswerMemo {
  const table = ctx.cache.table<CallAnswer>('load-answers', 20_000);
  const key = (k: KernelFeatures, rest: string) => `${kind}|${ctx.cache.instanceId(k)}|${rest}`;
  return {
    get: (k, rest) => table.get(key(k, rest)),
    set: (k, rest, v) => void table.set(key(k, rest), v),
  };
}

/** Program type and attach type of a program's section (libbpf's table); undefined when unknown. */
export function programFacts(lk: LoadKnowledge, program: BpfProgram): ProgramFacts | undefined {
  const s = lk.sectionProgram(program.section.replace(/^\?/, ''));
  if (!s) return undefined;
  return { progType: s.progType, attachType: s.attachType, sleepable: s.sleepable, target: program.target?.name };
}

/** Whole-text entries of the load-check memo. A hit needs the very text, so only the current
 *  version of a document is asked again (its diagnostics, hover, code lens), or a copy of a file
 *  (`check` over a tree of tools); each keystroke made an entry that nothing asked for again,
 *  and 200 of them held ~55 MB over 30 target kernels (a typing session, heap snapshot). A few
 *  documents' current versions. */
const LOAD_CHECK_ENTRIES = 8;

/** Texts longer than this are not keyed by their text: the same version is found by its model
 *  (below), and a key of a 600 KB text cost a copy and a hash of it per version, and kept 8 old
 *  versions of a 30,000-line document alive (~5 MB in V8's old generation). */
const TEXT_KEY_MAX = 64 * 1024;

export function fileLoadCheck(doc: LoadCheckDocument, ctx: AnalysisContext): FileLoadCheck {
  const programs = doc.c?.programs ?? [];
  const text = analysedText(doc);
  const kernelsKey = ctx.cache.kernelsKey(ctx.atlas, ctx.targets);
  // The same version again (diagnostics, hover, code lens): by its model's program list, which
  // lives as long as the version.
  const byModel = ctx.cache.derived(ctx.knowledge, 'load-check-by-model', () => new WeakMap<readonly BpfProgram[], Map<string, FileLoadCheck>>());
  const ofModel = byModel.get(programs) ?? new Map<string, FileLoadCheck>();
  byModel.set(programs, ofModel);
  const same = ofModel.get(kernelsKey);
  if (same) return same;
  const key = text.length <= TEXT_KEY_MAX ? `${kernelsKey}|${text}` : undefined;
  const memo = ctx.cache.table<{ programs: readonly BpfProgram[]; result: FileLoadCheck }>('load-check', LOAD_CHECK_ENTRIES);
  const hit = key === undefined ? undefined : memo.get(key);
  // The programs of a model are new objects per document version: map by position.
  if (hit && hit.programs.length === programs.length) {
    const byProgram = new Map<BpfProgram, ProgramVerdict>();
    programs.forEach((p, i) => byProgram.set(p, hit.result.byProgram.get(hit.programs[i])!));
    const result = { ...hit.result, byProgram };
    ofModel.set(kernelsKey, result);
    return result;
  }
  const result = computeLoadCheck({ ...doc, text }, programs, ctx);
  if (key !== undefined) memo.set(key, { programs, result });
  ofModel.set(kernelsKey, result);
  return result;
}

function computeLoadCheck(doc: LoadCheckDocument, programs: readonly BpfProgram[], ctx: AnalysisContext): FileLoadCheck {
  const lk = loadKnowledgeOf(ctx);
  const kernels = targetFeatures(ctx);
  const scans = ctx.cache.table<BodyScan>(`load-body-scans#${ctx.cache.instanceId(ctx.knowledge)}`);
  const kept = ctx.cache.derived(ctx.knowledge, 'load-program-needs', () => new WeakMap<BpfProgram, { fileKey: string; needs: ProgramNeeds }>());
  const needs = fileNeeds({ text: doc.text, tree: doc.tree, lines: doc.lines, programs, scans, kept }, vocabulary(ctx.knowledge, ctx));
  let providers: ReasonProvider[] | undefined;
  const memo = verdictMemo(ctx, needs);
  const verdicts = needs.programs.map((p) => memo(p, () => underCheck(lk, p, needs), (u) => programVerdict(u, kernels, providers ??= loadProviders(lk, ctx))));
  const byProgram = new Map<BpfProgram, ProgramVerdict>();
  needs.programs.forEach((p, i) => byProgram.set(p.program, verdicts[i]));
  return { ...fileVerdict(verdicts, kernels), needs, byProgram };
}

/** Program verdicts kept between runs: an edit to one program (or a file of unchanged programs
 *  opened again) leaves the others' verdicts as they were, where each run worked out every
 *  program's over every target kernel again (~0.4 ms a program over 30 kernels). */
const PROGRAM_VERDICTS = 2000;

/** A program's verdict, computed once per everything the providers read of it: its section,
 *  target, places and handler name, its program facts, the helpers and kfuncs it calls (each call
 *  site with its place and guards), the file's maps and licence, the target kernels as loaded and
 *  the knowledge tables. Anything else changed (a line added above it moves its places) is
 *  another key. */
function verdictMemo(ctx: AnalysisContext, file: FileNeeds): (needs: ProgramNeeds, under: () => ProgramUnderCheck, compute: (u: ProgramUnderCheck) => ProgramVerdict) => ProgramVerdict {
  const table = ctx.cache.table<ProgramVerdict>('program-load-verdicts', PROGRAM_VERDICTS);
  // What every program shares, as a short id: each program's key is made and hashed on every run.
  const shared = `#${ctx.cache.instanceId(ctx.cache.remember('load-verdict-files', JSON.stringify([
    ctx.cache.kernelsKey(ctx.atlas, ctx.targets), ctx.cache.instanceId(ctx.knowledge), file.maps, file.license ?? null, file.gplCompatible ?? null,
  ]), () => ({})))}`;
  // The last key and verdict of each kept needs object (loadNeeds.ts NeedsInput kept): the same
  // object with the same shared part makes the same key, so an unchanged program is not keyed
  // again (~9 ms a run for 1,000 programs). The table stays the one source of verdicts.
  const last = ctx.cache.derived(ctx.knowledge, 'load-verdict-last', () => new WeakMap<ProgramNeeds, { shared: string; key: string }>());
  return (needs, under, compute) => {
    const seen = needs.scans ? last.get(needs) : undefined;
    if (seen && seen.shared === shared) {
      const v = table.get(seen.key);
      if (v) return v;
    }
    const u = under();
    const p = u.needs.program;
    // The helpers and kfuncs by the scans they were read from (kept scans are the same objects
    // for the same needs): writing out every call site with its place and guards made the keys
    // of a 1,000-program file cost ~8 ms a run.
    const calls = u.needs.scans ? u.needs.scans.map((s) => ctx.cache.instanceId(s)).join(',') : [u.needs.helpers, u.needs.kfuncs];
    const key = shared + JSON.stringify([
      p.section, p.sectionRange, p.secRange, p.handler?.name ?? null, p.kind, programTarget(p) ?? null, u.facts ?? null, calls,
    ]);
    if (needs.scans) last.set(needs, { shared, key });
    let v = table.get(key);
    if (!v) {
      v = compute(u);
      table.set(key, v);
    }
    return v;
  };
}

function underCheck(lk: LoadKnowledge, p: ProgramNeeds, file: FileNeeds): ProgramUnderCheck {
  return { needs: p, file, facts: programFacts(lk, p.program) };
}

/** The providers, in the order their reasons are listed. */
export function loadProviders(lk: LoadKnowledge, ctx: AnalysisContext): ReasonProvider[] {
  return [
    hookProvider(ctx),
    progTypeProvider(lk, ctx.knowledge),
    helperProvider(lk, ctx.knowledge, answerMemo(ctx, 'helper')),
    kfuncProvider(lk, kfuncSinceOf(lk, ctx), answerMemo(ctx, 'kfunc')),
    mapProvider(lk, ctx.knowledge),
  ];
}

/** Which names are helpers and kfuncs (the knowledge tables), built once per knowledge instance. */
function vocabulary(knowledge: Knowledge, ctx: AnalysisContext): { isHelper(n: string): boolean; isKfunc(n: string): boolean } {
  const kfuncs = ctx.cache.remember('kfunc-names', String(ctx.cache.instanceId(knowledge)), () =>
    new Set(knowledge.kfuncData().kernels.flatMap((k) => k.sets.flatMap((s) => s.members.map((m) => m.name)))));
  return { isHelper: (n) => !!knowledge.helper(n), isKfunc: (n) => kfuncs.has(n) };
}

/** First kernel of each kfunc over every bundled kernel (not only the targets). */
function kfuncSinceOf(lk: LoadKnowledge, ctx: AnalysisContext): (name: string) => KfuncSince | undefined {
  const bundled = ctx.atlas.list().filter((m) => m.source === 'bundled').map((m) => m.id);
  const table = ctx.cache.table<{ v?: KfuncSince }>('kfunc-since');
  let since: ((name: string) => KfuncSince | undefined) | undefined;
  return (name) => {
    const hit = table.get(name);
    if (hit) return hit.v;
    since ??= kfuncSinceFrom(lk, bundled.map((id) => kernelOf(ctx, id)).filter((k): k is KernelQuery => !!k)
      .map((k) => kernelFeatures(k as unknown as KernelLike)));
    const v = since(name);
    table.set(name, { v });
    return v;
  };
}

/** The attach point, from the one verdict path: where attaching fails, the program fails to load
 *  there too (libbpf's skeleton attach); where the atlas cannot say whether the hook exists (a
 *  function that may live in a module it does not cover), unknown. Gaps that do not question the
 *  hook itself (no kprobe blacklist, ftrace sites or record offsets in a source) stay with the
 *  hook's own diagnostics and do not make the load verdict unknown. */
function hookProvider(ctx: AnalysisContext): ReasonProvider {
  return {
    kind: 'hook',
    reasons(program: ProgramUnderCheck): LoadReason[] {
      const p = program.needs.program;
      const target = programTarget(p);
      if (!target) return [];
      const v = attachVerdicts(target, ctx);
      // A placeholder the loader retargets (bpf_program__set_attach_target) names no real hook.
      if (isPlaceholderName(target.name) && v.kernels.every((k) => !k.assessment.found)) return [];
      const groups = new Map<string, LoadReason>();
      const add = (effect: 'fails' | 'unknown', kernel: string, message: string, evidence: string) => {
        const key = `${effect}|${message}`;
        const g = groups.get(key);
        if (g) g.kernels.push(kernel);
        else groups.set(key, { kind: 'hook', effect, kernels: [kernel], subject: p.section, message, range: p.sectionRange, evidence });
      };
      for (const k of v.kernels) {
        const errors = k.hazards.filter((h) => h.severity === 'error');
        if (k.status === 'error') {
          add('fails', k.kernel, errors.length ? errors.map((h) => h.message).join(' ') : `${p.section} does not exist there.`, errors.map((h) => h.name).join(', ') || 'absent');
        } else if ((!k.assessment.found || !k.assessment.attachable) && k.hazards.some((h) => h.name === 'unknown')) {
          add('unknown', k.kernel, k.hazards.filter((h) => h.name === 'unknown').map((h) => h.message).join(' '), 'unknown');
        }
      }
      return [...groups.values()].map((r) => ({ ...r, message: `${r.subject} on ${r.kernels.join(', ')}: ${r.message}` }));
    },
  };
}
