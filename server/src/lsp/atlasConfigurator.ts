// The atlas a session's settings select: one Atlas (with its analysis cache) per (useLiveKernel,
// atlasFiles, trust), kept across other settings changes so kernels already loaded (and the live
// kernel already read) are not read again; the target kernels resolved from the settings; the
// running kernel read when it is a target; and the two jobs on the running kernel: indexing it
// into an atlas file, and telling when its module set changed. In an untrusted session no atlas
// file named by settings is read: the server cannot tell a user-level value from one the workspace
// chose (VS Code drops workspace values of this restricted setting, other clients may not).

import fs from 'node:fs';
import path from 'node:path';
import { AnalysisCache } from '../analysis/cache';
import { warmUpSteps } from '../analysis/kernels';
import { Atlas } from '../atlas/atlas';
import { liveCacheDir, liveKernelKey, userCacheDir } from '../atlas/liveCache';
import { type BuildLiveAtlasResult, type IndexProgressParams, summarizeKernel } from '../protocol';
import type { Settings } from '../settings';
import type { Knowledge } from '../knowledge/types';
import { warmTargetListSteps } from '../features/c/completion';
import { type ActivityClock, runIdleSteps } from './activity';
import type { AtlasState } from './types';

export interface AtlasConfiguratorOptions {
  /** The bundled data folder. */
  dataDir: string;
  /** Root under which /sys and /proc are read (tests); default `/`. */
  sysRoot?: string;
  /** Where "build an atlas of this machine's kernel" writes its file; default the user cache. */
  cacheDir?: string;
  /** The knowledge tables: with them, the first completion lists are also built while idle. */
  knowledge?: Knowledge;
  /** When the server last heard from the client: warm-up steps wait for WARM_QUIET_MS of quiet. */
  activity?: ActivityClock;
}

/** Quiet time before a warm-up step: while the user types, the steps wait (each can take tens of
 *  milliseconds over 30 kernels, and a keystroke's completion would queue behind it). */
export const WARM_QUIET_MS = 100;

type Unresolved = { spec: string; reason: string };

/** A spec in targetKernels that names a file rather than a kernel id or release. */
function looksLikePath(spec: string): boolean {
  return /[/\\]/.test(spec) || spec.startsWith('.') || spec.startsWith('~') || spec.endsWith('.atlas');
}

export class AtlasConfigurator {
  private atlas?: Atlas;
  /** The analysis cache of `atlas`: a new atlas starts with a new cache. */
  private cache = new AnalysisCache();
  private atlasKey = '';
  private fileErrors: Unresolved[] = [];
  private seenSignature?: string;
  /** Bumped by every configure(): a warm-up of older targets stops at its next step. */
  private warmGeneration = 0;

  constructor(private readonly options: AtlasConfiguratorOptions) {}

  private atlasFor(settings: Settings, trusted: boolean): Atlas {
    const files = settings.atlasFiles;
    const key = JSON.stringify([settings.useLiveKernel, files, trusted]);
    if (this.atlas && key === this.atlasKey) return this.atlas;
    const atlas = new Atlas({
      dataDir: this.options.dataDir, live: settings.useLiveKernel, sysRoot: this.options.sysRoot,
      liveCacheDir: this.options.cacheDir ?? liveCacheDir(), prefetchLiveSymbols: true,
    });
    this.atlas = atlas;
    this.cache = new AnalysisCache();
    this.atlasKey = key;
    this.fileErrors = [];
    for (const file of files) {
      if (!trusted) {
        this.fileErrors.push({ spec: file, reason: 'not read: atlas files named by settings are read in trusted workspaces only (trust this workspace to use it)' });
        continue;
      }
      try {
        atlas.addFile(file);
      } catch (e) {
        this.fileErrors.push({ spec: file, reason: (e as Error).message });
      }
    }
    return atlas;
  }

  /** The kernel ids the settings' targetKernels name (de-duplicated, in order), and why the
   *  others cannot be used. In an untrusted workspace a target may not make the server open a
   *  file the workspace chose. */
  private resolveTargets(current: Atlas, settings: Settings, trusted: boolean): { targets: string[]; unresolved: Unresolved[] } {
    const targets: string[] = [];
    const unresolved: Unresolved[] = [];
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
  }

  /** Builds the atlas for the settings and reads what the targets need (the live kernel).
   *  Problems go into the state. `busy` reports a long step (or undefined when it is over). */
  async configure(settings: Settings, trusted: boolean, busy: (what: string | undefined) => void): Promise<AtlasState> {
    const current = this.atlasFor(settings, trusted);
    const unresolved = [...this.fileErrors];
    for (const w of current.warnings) unresolved.push({ spec: 'bundled atlases', reason: w });
    const resolved = this.resolveTargets(current, settings, trusted);
    unresolved.push(...resolved.unresolved);
    let targets = resolved.targets;
    if (!targets.length) {
      targets = current.defaultTargets();
      if (settings.useLiveKernel && !current.hasLive()) {
        unresolved.push({ spec: 'live', reason: 'the running kernel is not offered: /sys/kernel/btf/vmlinux is not readable (a kernel without CONFIG_DEBUG_INFO_BTF, or /sys not mounted); using the bundled atlases' });
      }
    }
    if (targets.includes('live')) targets = await this.readLive(current, targets, unresolved, busy);
    // Decompress what the target kernels need on the thread pool (both cores) before the first
    // request, instead of synchronously inside it.
    await current.preload(targets.filter((t) => t !== 'live'));
    this.warmWhenIdle(current, targets, settings);
    const error = current.list().length ? undefined : `no kernel atlas found in ${path.join(this.options.dataDir, 'atlas')}`;
    return { atlas: current, cache: this.cache, targets, unresolved, error };
  }

  /** Builds what the first completion on each target would build (analysis/kernels.ts
   *  warmUpSteps) one step per turn of the event loop, after the requests waiting for this
   *  configuration, and only after WARM_QUIET_MS without a message: a request arriving
   *  meanwhile waits for at most one step, and none while the user types. */
  private warmWhenIdle(current: Atlas, targets: readonly string[], settings: Settings): void {
    const generation = ++this.warmGeneration;
    const kernels = targets.flatMap((id) => {
      try {
        return [current.get(id)];
      } catch {
        return []; // reported by configure's callers when they use it
      }
    });
    const steps = warmUpSteps({ cache: this.cache }, kernels);
    // Then the first list of the function kinds tools use most (features/c/completion.ts).
    const knowledge = this.options.knowledge;
    if (knowledge) {
      const ctx = { atlas: current, targets, knowledge, cache: this.cache, settings };
      steps.push(...warmTargetListSteps(ctx, ['kprobe', 'kretprobe', 'fentry']));
    }
    void runIdleSteps(steps, { quietMs: WARM_QUIET_MS, clock: this.options.activity, current: () => generation === this.warmGeneration, startMs: 50 });
  }

  /** Reads the running kernel; without it, the targets fall back to bundled LTS kernels. */
  private async readLive(current: Atlas, targets: string[], unresolved: Unresolved[], busy: (what: string | undefined) => void): Promise<string[]> {
    busy('reading the live kernel');
    try {
      await current.loadLive();
      return targets;
    } catch (e) {
      unresolved.push({ spec: 'live', reason: `the running kernel could not be read: ${(e as Error).message}` });
      const rest = targets.filter((t) => t !== 'live');
      return rest.length ? rest : current.list().filter((m) => m.source === 'bundled' && m.lts).map((m) => m.id).slice(-2);
    } finally {
      busy(undefined);
      // What could not be read (tracefs, hidden kallsyms addresses, broken module BTF) lowers
      // what `live` can say: log it, once per reading of the running kernel.
      for (const p of current.liveProblems.splice(0)) unresolved.push({ spec: 'live', reason: p });
    }
  }

  /** Starts reading what these settings will need, without waiting and without reporting: the
   *  next configure() finds the work under way or done. */
  warmUp(settings: Settings, trusted: boolean): void {
    try {
      const current = this.atlasFor(settings, trusted);
      const ids = this.resolveTargets(current, settings, trusted).targets;
      const targets = ids.length ? ids : current.defaultTargets();
      if (targets.includes('live')) current.loadLive().catch(() => undefined);
      void current.preload(targets.filter((t) => t !== 'live'));
    } catch {
      /* configure() reports it */
    }
  }

  /** Indexes the running kernel into an atlas file in the user cache. */
  async buildLiveAtlas(report: (p: IndexProgressParams) => void): Promise<BuildLiveAtlasResult> {
    const started = Date.now();
    // The same cached live atlas the CLI reads and writes (atlas/liveCache.ts).
    const live = new Atlas({ dataDir: this.options.dataDir, live: true, sysRoot: this.options.sysRoot, liveCacheDir: this.options.cacheDir ?? userCacheDir() });
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
      else report({ message: `could not write the atlas file to ${this.options.cacheDir ?? userCacheDir()}`, percent: 90 });
    }
    // Later configurations read the running kernel afresh, so a module loaded since shows up.
    this.atlasKey = '';
    report({ message: 'done', percent: 100 });
    return { ok: true, kernel: summarizeKernel(index.meta), file, ms: Date.now() - started };
  }

  /** True when the running kernel as this user sees it changed since the last call: the key of
   *  its cached atlas (atlas/liveCache.ts: release, BTF, loaded modules, readable sources), so a
   *  module load or unload, or tracefs becoming readable, makes the next configure() read it
   *  afresh. */
  liveKernelChanged(): boolean {
    const now = liveKernelKey(this.options.sysRoot ?? '/', this.options.dataDir).hash;
    const changed = this.seenSignature !== undefined && now !== this.seenSignature;
    this.seenSignature = now;
    if (changed) this.atlasKey = '';
    return changed;
  }
}
