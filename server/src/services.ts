// Builds the collaborators the language server wires to the protocol: the document store (tree-
// sitter C + the bpftrace parser), the pure features, the knowledge files and the atlas for the
// current settings (bundled atlases, the live kernel, user atlas files), plus the lookup and
// live-indexing jobs behind the custom requests. Built once per server process by main.ts or
// `bpf-atlas lsp`; nothing here touches the Connection.

import fs from 'node:fs';
import path from 'node:path';
import { AnalysisCache } from './analysis/cache';
import { Atlas } from './atlas/atlas';
import { liveCacheDir, liveKernelKey, userCacheDir } from './atlas/liveCache';
import type { AttachTarget } from './atlas/model';
import { parseTarget } from './model/targets';
import { dataDir as defaultDataDir } from './dataDir';
import { attachReport } from './analysis/report';
import { codeActions } from './features/codeActions';
import { completion } from './features/completion';
import type { FeatureContext } from './features/shared/context';
import { diagnostics } from './features/diagnostics';
import { hover } from './features/hover';
import { renderAttachPoint } from './features/shared/render';
import { loadKnowledge } from './knowledge/load';
import type { Knowledge } from './knowledge/types';
import { type BuildLiveAtlasResult, type IndexProgressParams, type LookupResult, summarizeKernel } from './protocol';
import type { AtlasState, ServerServices } from './server';
import type { Settings } from './settings';
import { builtinSectionResolver, type SectionResolver } from './syntax/cModel';
import { type AnalyzedDocument, DocumentStore } from './syntax/documents';
import { loadCParser } from './syntax/parser';

export interface ServicesOptions {
  /** The bundled data folder; default dataDir(). */
  dataDir?: string;
  /** Root under which /sys and /proc are read (tests); default `/`. */
  sysRoot?: string;
  /** Where "build an atlas of this machine's kernel" writes its file; default the user cache. */
  cacheDir?: string;
}

/** A spec in targetKernels that names a file rather than a kernel id or release. */
function looksLikePath(spec: string): boolean {
  return /[/\\]/.test(spec) || spec.startsWith('.') || spec.startsWith('~') || spec.endsWith('.atlas');
}

/** Parses what a user types into the lookup box: `kprobe:vfs_read`, `kprobe/vfs_read`, `rt:sched_switch`,
 *  `tracepoint:sched:sched_switch`, `tp/sched/sched_switch`, `sched/sched_switch`, `vfs_read`
 *  (model/targets.ts, leniently). Undefined when it is not an attach point. */
export function parseLookupQuery(query: string): AttachTarget | undefined {
  try {
    const target = parseTarget(query, { lenient: true });
    return target.kind === 'tracepoint' && !target.system ? undefined : target;
  } catch {
    return undefined;
  }
}

export async function createServices(options: ServicesOptions = {}): Promise<ServerServices<AnalyzedDocument>> {
  const dir = options.dataDir ?? defaultDataDir();
  const knowledge: Knowledge = loadKnowledge(path.join(dir, 'knowledge'));
  // Section prefixes come from the knowledge file; when it cannot be read, the document model uses
  // the built-in table (features that read knowledge themselves fail in their guarded handlers and
  // the error is logged there).
  const resolveSection: SectionResolver = (section) => {
    try {
      return knowledge.sectionPrefix(section) ?? builtinSectionResolver(section);
    } catch {
      return builtinSectionResolver(section);
    }
  };
  const documents = new DocumentStore({ parser: await loadCParser(), resolveSection });

  let atlas: Atlas | undefined;
  /** The analysis cache of `atlas`: a new atlas starts with a new cache. */
  let cache = new AnalysisCache();
  let atlasKey = '';
  let fileErrors: { spec: string; reason: string }[] = [];

  /** One Atlas per (useLiveKernel, atlasFiles, trust): kept across other settings changes so
   *  kernels already loaded (and the live kernel already read) are not read again. In an
   *  untrusted session no atlas file named by settings is read: the server cannot tell a
   *  user-level value from one the workspace chose (VS Code drops workspace values of this
   *  restricted setting, other clients may not), so it does not rely on the client. */
  const atlasFor = (settings: Settings, trusted: boolean): Atlas => {
    const files = settings.atlasFiles;
    const key = JSON.stringify([settings.useLiveKernel, files, trusted]);
    if (atlas && key === atlasKey) return atlas;
    atlas = new Atlas({ dataDir: dir, live: settings.useLiveKernel, sysRoot: options.sysRoot, liveCacheDir: options.cacheDir ?? liveCacheDir(), prefetchLiveSymbols: true });
    cache = new AnalysisCache();
    atlasKey = key;
    fileErrors = [];
    for (const file of files) {
      if (!trusted) {
        fileErrors.push({ spec: file, reason: 'not read: atlas files named by settings are read in trusted workspaces only (trust this workspace to use it)' });
        continue;
      }
      try {
        atlas.addFile(file);
      } catch (e) {
        fileErrors.push({ spec: file, reason: (e as Error).message });
      }
    }
    return atlas;
  };

  /** The kernel ids the settings' targetKernels name (de-duplicated, in order), and why the
   *  others cannot be used. In an untrusted workspace a target may not make the server open a
   *  file the workspace chose. */
  const resolveTargets = (current: Atlas, settings: Settings, trusted: boolean): { targets: string[]; unresolved: { spec: string; reason: string }[] } => {
    const targets: string[] = [];
    const unresolved: { spec: string; reason: string }[] = [];
    for (const spec of settings.targetKernels) {
      if (!trusted && looksLikePath(spec)) {
        unresolved.push({ spec, reason: 'atlas files named by an untrusted workspace are not read' });
        continue;
      }
      try {
        const id = current.resolve(spec);
        if (!targets.includes(id)) targets.push(id);
      } catch (e) {
        unresolved.push({ spec, reason: (e as Error).message });
      }
    }
    return { targets, unresolved };
  };

  const configureAtlas = async (settings: Settings, trusted: boolean, busy: (what: string | undefined) => void): Promise<AtlasState> => {
    const current = atlasFor(settings, trusted);
    const unresolved = [...fileErrors];
    for (const w of current.warnings) unresolved.push({ spec: 'bundled atlases', reason: w });
    const resolved = resolveTargets(current, settings, trusted);
    unresolved.push(...resolved.unresolved);
    let targets = resolved.targets;
    if (!targets.length) {
      targets = current.defaultTargets();
      if (settings.useLiveKernel && !current.hasLive()) {
        unresolved.push({ spec: 'live', reason: 'the running kernel is not offered: /sys/kernel/btf/vmlinux is not readable (a kernel without CONFIG_DEBUG_INFO_BTF, or /sys not mounted); using the bundled atlases' });
      }
    }
    if (targets.includes('live')) {
      busy('reading the live kernel');
      try {
        await current.loadLive();
      } catch (e) {
        unresolved.push({ spec: 'live', reason: `the running kernel could not be read: ${(e as Error).message}` });
        targets = targets.filter((t) => t !== 'live');
        if (!targets.length) targets = current.list().filter((m) => m.source === 'bundled' && m.lts).map((m) => m.id).slice(-2);
      } finally {
        busy(undefined);
        // What could not be read (tracefs, hidden kallsyms addresses, broken module BTF) lowers
        // what `live` can say: log it, once per reading of the running kernel.
        for (const p of current.liveProblems.splice(0)) unresolved.push({ spec: 'live', reason: p });
      }
    }
    // Decompress what the target kernels need on the thread pool (both cores) before the first
    // request, instead of synchronously inside it.
    await current.preload(targets.filter((t) => t !== 'live'));
    const error = current.list().length ? undefined : `no kernel atlas found in ${path.join(dir, 'atlas')}`;
    return { atlas: current, cache, targets, unresolved, error };
  };

  const warmUp = (settings: Settings, trusted: boolean): void => {
    try {
      const current = atlasFor(settings, trusted);
      const ids = resolveTargets(current, settings, trusted).targets;
      const targets = ids.length ? ids : current.defaultTargets();
      if (targets.includes('live')) current.loadLive().catch(() => undefined);
      void current.preload(targets.filter((t) => t !== 'live'));
    } catch {
      /* configureAtlas reports it */
    }
  };

  const lookup = (query: string, kernels: string[] | undefined, ctx: FeatureContext): LookupResult => {
    const target = parseLookupQuery(query);
    if (!target) {
      return { assessments: [], markdown: '', error: `cannot read "${query}" as an attach point: try kprobe:vfs_read or tracepoint/sched/sched_switch` };
    }
    let targets = ctx.targets;
    if (kernels?.length) {
      const { ids, errors } = (ctx.atlas as Atlas).resolveAll(kernels);
      if (!ids.length) return { target, assessments: [], markdown: '', error: errors.join('; ') };
      targets = ids;
    }
    const report = attachReport(target, { ...ctx, targets });
    const releases = new Map(ctx.atlas.list().map((m) => [m.id, m.release]));
    const markdown = renderAttachPoint({
      target,
      kernels: report.kernels.map((k) => ({ kernel: k.kernel, release: k.release ?? releases.get(k.kernel), assessment: k.assessment, hazards: k.hazards })),
      alternatives: report.alternatives.map((a) => ({ target: a.target, note: a.note, since: a.since, caveat: a.caveat, evidence: a.evidence })),
      evidence: ctx.knowledge.evidenceFor(target.name),
    });
    const closest = report.closest.length ? `\n\nDid you mean: ${report.closest.map((n) => `\`${n}\``).join(', ')}?` : '';
    return { target, assessments: report.kernels.map((k) => k.assessment), markdown: markdown + closest };
  };

  const buildLiveAtlas = async (report: (p: IndexProgressParams) => void): Promise<BuildLiveAtlasResult> => {
    const started = Date.now();
    // The same cached live atlas the CLI reads and writes (atlas/liveCache.ts).
    const live = new Atlas({ dataDir: dir, live: true, sysRoot: options.sysRoot, liveCacheDir: options.cacheDir ?? userCacheDir() });
    if (!live.hasLive()) {
      return { ok: false, ms: 0, error: 'the running kernel is not readable here (/sys/kernel/btf/vmlinux is missing or not readable)' };
    }
    report({ message: 'reading BTF, kallsyms and tracefs', percent: 10 });
    const index = await live.loadLive();
    if (!index) return { ok: false, ms: Date.now() - started, error: 'the running kernel is not offered' };
    report({ message: 'writing the atlas file', percent: 80 });
    let file = live.saveLiveCache();
    if (!file) {
      const cached = live.liveCachePath();
      if (cached && fs.existsSync(cached)) file = cached;
      else report({ message: `could not write the atlas file to ${options.cacheDir ?? userCacheDir()}`, percent: 90 });
    }
    // Later configurations read the running kernel afresh, so a module loaded since shows up.
    atlasKey = '';
    report({ message: 'done', percent: 100 });
    return { ok: true, kernel: summarizeKernel(index.meta), file, ms: Date.now() - started };
  };

  /** The running kernel as this user sees it: the key of its cached atlas (atlas/liveCache.ts:
   *  release, BTF, loaded modules, readable sources), so a module load or unload, or tracefs
   *  becoming readable, makes the server read it afresh. */
  const liveSignature = (): string => liveKernelKey(options.sysRoot ?? '/', dir).hash;
  let seenSignature: string | undefined;
  const liveKernelChanged = (): boolean => {
    const now = liveSignature();
    const changed = seenSignature !== undefined && now !== seenSignature;
    seenSignature = now;
    // The next configureAtlas reads the running kernel afresh.
    if (changed) atlasKey = '';
    return changed;
  };

  return {
    documents,
    features: { completion, hover, diagnostics, codeActions },
    knowledge,
    dataDir: dir,
    configureAtlas,
    warmUp,
    lookup,
    buildLiveAtlas,
    liveKernelChanged,
  };
}
