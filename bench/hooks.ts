// Real kernel hooks for the benchmark's generated programs, read from a bundled atlas (Debian 12's
// kernel by default): function names (kprobe/fentry targets), trace events with their system,
// raw tracepoints and LSM hooks. bench/run.mjs bundles this file with esbuild at run time (the
// bench uses only what `npm run build` makes plus what it builds itself), so the programs it
// generates attach to hooks that exist on a real kernel, each one different, rather than copies of
// a few fixtures (bench/programs.mjs hands them out).

import { Atlas } from '../server/src/atlas/atlas';

export interface HookPool {
  kernel: string;
  release: string;
  /** Plain function names (no compiler suffix; module functions included), name order. */
  functions: string[];
  /** Trace events with a system: `tracepoint/<system>/<name>`. */
  events: { system: string; name: string }[];
  /** Tracepoints tp_btf/raw_tp can name. */
  rawTracepoints: string[];
  lsmHooks: string[];
}

export function hookPool(dataDir: string, kernel = 'debian-12'): HookPool {
  const atlas = new Atlas({ dataDir, live: false });
  const k = atlas.get(kernel);
  const functions = [...k.functionNames()]
    .filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n) && !n.startsWith('__pfx_'))
    .sort();
  const tps = k.tracepoints();
  const events = tps.filter((t) => t.event && t.system).map((t) => ({ system: t.system!, name: t.name }))
    .sort((a, b) => (a.system + '/' + a.name).localeCompare(b.system + '/' + b.name));
  const rawTracepoints = [...new Set(tps.map((t) => t.name))].sort();
  const lsmHooks = k.lsmHooks().map((h) => h.name).sort();
  return { kernel, release: k.meta.release, functions, events, rawTracepoints, lsmHooks };
}
