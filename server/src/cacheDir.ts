// The per-user cache folder of bpf-atlas ($XDG_CACHE_HOME/bpf-atlas, else ~/.cache/bpf-atlas):
// the running kernel's cached atlas (atlas/liveCache.ts) and the CLI's compiled code (cliEntry.ts)
// live there. BPF_ATLAS_CACHE=off turns both caches off (tests that must start cold, read-only
// homes). Imports nothing of ours: the CLI's entry loads it before anything else.

import { homedir } from 'node:os';
import { join } from 'node:path';

export function userCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'bpf-atlas');
}

/** The cache folder, or undefined when BPF_ATLAS_CACHE=off. */
export function cacheDirUnlessOff(): string | undefined {
  return process.env.BPF_ATLAS_CACHE === 'off' ? undefined : userCacheDir();
}
