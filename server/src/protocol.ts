// The custom part of the protocol between the bpf-atlas client and server: request and
// notification types with their parameter and result shapes. Imported by both sides (the client
// bundles it too), so it holds types, method names and how the server process is started (at its
// end); no server or vscode code.

import os from 'node:os';
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import type { KernelMeta, KernelSourceKind } from './model/facts';
import type { Assessment } from './model/hazards';
import type { AttachKind } from './model/programKinds';

/** A kernel as the picker and status bar show it (KernelMeta without the bulky parts). */
export interface KernelSummary {
  id: string;
  release: string;
  version: string;
  arch: string;
  source: KernelSourceKind;
  distro?: string;
  codename?: string;
  lts?: boolean;
  provenance: string;
  counts: KernelMeta['counts'];
}

export function summarizeKernel(meta: KernelMeta): KernelSummary {
  return {
    id: meta.id,
    release: meta.release,
    version: meta.version,
    arch: meta.arch,
    source: meta.source,
    distro: meta.distro,
    codename: meta.codename,
    lts: meta.lts,
    provenance: meta.provenance,
    counts: meta.counts,
  };
}

export interface ListKernelsResult {
  /** Every kernel the atlas knows (bundled, live when readable, user atlas files). */
  kernels: KernelSummary[];
  /** The resolved target kernel ids in use now. */
  targets: string[];
}
export const ListKernelsRequest = new RequestType<Record<string, never>, ListKernelsResult, void>('bpfAtlas/listKernels');

export interface LookupParams {
  /** `kprobe:do_sys_open`, `kprobe/do_sys_open`, `tracepoint:sched:sched_switch`, or a bare name. */
  query: string;
  /** Kernel ids or releases; default: the current targets. */
  kernels?: string[];
}
export interface LookupResult {
  /** The target as understood, or undefined when the query could not be parsed. */
  target?: { kind: AttachKind; name: string; system?: string };
  assessments: Assessment[];
  /** A Markdown report for a human (what the lookup command shows). */
  markdown: string;
  /** Why there is no answer, when there is none. */
  error?: string;
}
export const LookupRequest = new RequestType<LookupParams, LookupResult, void>('bpfAtlas/lookup');

export interface BuildLiveAtlasResult {
  ok: boolean;
  kernel?: KernelSummary;
  /** Where the atlas was written, when it was written to disk. */
  file?: string;
  ms: number;
  /** What went wrong (unreadable BTF, no permissions...), in one sentence. */
  error?: string;
}
export const BuildLiveAtlasRequest = new RequestType<Record<string, never>, BuildLiveAtlasResult, void>('bpfAtlas/buildLiveAtlas');

export interface AtlasInUseResult {
  targets: KernelSummary[];
  /** Kernels that were asked for (settings) but could not be resolved, with the reason. */
  unresolved: { spec: string; reason: string }[];
  dataDir: string;
  /** Current settings problems (wrong types or values that were replaced by defaults). */
  settingsProblems: string[];
  /** Whether the client told us the workspace is trusted (atlas files from the workspace are read only then). */
  workspaceTrusted: boolean;
}
export const AtlasInUseRequest = new RequestType<Record<string, never>, AtlasInUseResult, void>('bpfAtlas/atlasInUse');

/** Server → client: what the status bar shows. Sent after startup, on settings changes and while
 *  the live kernel is being indexed. */
export interface StatusParams {
  targets: { id: string; release: string; source: KernelSourceKind }[];
  /** Set while a long job runs (e.g. "indexing the live kernel"). */
  busy?: string;
  /** Set when the atlas could not be loaded at all. */
  error?: string;
}
export const StatusNotification = new NotificationType<StatusParams>('bpfAtlas/status');

/** One step of buildLiveAtlas, which the server reports as LSP work-done progress
 *  (window/workDoneProgress): clients show it natively. */
export interface IndexProgressParams {
  message: string;
  /** 0..100 when known. */
  percent?: number;
}

/** What the client passes in `initializationOptions`. Other clients (Neovim...) may pass nothing. */
export interface InitializationOptions {
  /** VS Code's workspace trust; clients without the notion leave it out (treated as trusted). */
  workspaceTrusted?: boolean;
  /** Settings for clients that cannot answer workspace/configuration. */
  settings?: unknown;
}

/** Client → server: the user granted trust to the workspace. */
export const WorkspaceTrustedNotification = new NotificationType<Record<string, never>>('bpfAtlas/workspaceTrusted');

// How the server process is started: the node options and environment variables that only take
// effect when given at spawn, shared by everything that starts dist/server.js (the VS Code client,
// client/src/ctx.ts; the bench; the protocol and soak test clients), so that the bench measures
// what users run. main.ts sets what V8 still reads at run time (--heap-growing-percent); these
// come too late there: V8 sizes its young generation when the isolate is made, and glibc reads
// its malloc settings when the process starts.
//
// Measured on the bench's 30-target session (typing, target changes, hover; process.memoryUsage
// and /proc/PID/smaps at its end, 2026-12-07, a 2-core machine):
// - The young generation grew to its default maximum, 2 × 16 MB semi-spaces, all resident (24-32
//   MB of new space at the end). 2 × 8 MB holds a typing request's short-lived objects. 2 × 4 MB
//   saved ~15 MB more but promoted what a diagnostics run of a 1,000-program file keeps for a few
//   ms, so the old generation filled and full collections (~100 ms) hit every few body edits;
//   it also cost ~10% more CPU while typing. Measured alternately on one quiet machine, 30
//   targets: RSS 207-223 MB at 8 MB, 240-246 at 16, 209 at 4; 30k-line document body edits
//   p50 61 ms at 8 MB, 97 at 4.
// - glibc raises its mmap threshold (up to 32 MB) each time a big block is freed, so later
//   decompressed sections and V8's compiler zones, on the main thread and on the thread pool's
//   arenas, come from heaps that free memory back to the system only at their top: ~30 MB freed
//   but resident at the end. A fixed threshold (glibc's default, 128 KB) keeps blocks that big
//   in their own mappings, returned when freed.

// - V8's worker threads (node starts 4 by default) mark and sweep concurrently with the server.
//   On 2 cores, with the editor on the same machine, 4 of them took the core the server's main
//   thread needed when a full collection came: body edits of the 30,000-line document that met
//   one took 90-135 ms against ~45. With one core left to the main thread (and the editor) the
//   slowest of 30 edits took 77-90 ms against 106 in alternating runs.

/** V8 worker threads: all cores but one, at most node's default of 4, at least 1. */
export function gcThreads(cores: number): number {
  return Math.max(1, Math.min(4, cores - 1));
}

/** node options for the server process, before the script. */
export const SERVER_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=8', `--v8-pool-size=${gcThreads(typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length)}`];

/** Environment variables the server process gets unless the environment already sets them
 *  (a user's own malloc tuning wins). Other C libraries ignore them. */
const SERVER_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: '131072',
};

/** The variables of SERVER_ENV that `env` does not set: what to add to it for a server process. */
export function serverEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(SERVER_ENV)) if (env[k] === undefined) out[k] = v;
  return out;
}
