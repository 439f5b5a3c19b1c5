// How a language server process is started: the node options and environment variables that only
// take effect when given at spawn, shared by everything that spawns dist/server.js (the VS Code
// client, client/src/ctx.ts, and the bench, so that the bench measures what users run). main.ts
// sets what V8 still reads at run time (--heap-growing-percent); these come too late there: V8
// sizes its young generation when the isolate is made, and glibc reads its malloc settings when
// the process starts.
//
// Measured on the bench's 30-target session (typing, target changes, hover; process.memoryUsage
// and /proc/PID/smaps at its end, 2026-12-07, a 2-core machine):
// - The young generation grew to its default maximum, 2 × 16 MB semi-spaces, all resident (24-32
//   MB of new space at the end). 2 × 4 MB holds a typing request's short-lived objects; it costs
//   more, shorter scavenges (their total time rose by ~1 s over the ~70 s session).
// - glibc raises its mmap threshold (up to 32 MB) each time a big block is freed, so later
//   decompressed sections and V8's compiler zones, on the main thread and on the thread pool's
//   arenas, come from heaps that free memory back to the system only at their top: ~30 MB freed
//   but resident at the end. A fixed threshold (glibc's default, 128 KB) keeps blocks that big
//   in their own mappings, returned when freed.

/** node options for the server process, before the script. */
export const SERVER_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=4'];

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
