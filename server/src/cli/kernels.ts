// `bpf-atlas kernels [--json] [--kernel FILE]... [--no-live]`: every kernel the atlas knows, with
// where its facts come from and how many of each kind it holds. Also home of the small argument
// and atlas helpers the atlas verbs (kernels, lookup, index) share.

import { Atlas } from '../atlas/atlas';
import { liveCacheDir } from '../atlas/liveCache';
import type { KernelMeta } from '../atlas/model';
import { parseArgs, type ParsedArgs } from './args';
import type { CliIo } from './io';

export const KERNELS_USAGE = `usage: bpf-atlas kernels [--json] [--kernel FILE]... [--no-live]

Lists every kernel bpf-atlas knows: the bundled atlases (Debian, Ubuntu), the running kernel as
\`live\` when /sys/kernel/btf/vmlinux is readable, and atlas files given with --kernel.

  --json          machine-readable output (schema in docs/cli.md)
  --kernel FILE   also list the kernels of an atlas file built with \`bpf-atlas index\`
  --no-live       do not offer the running kernel
`;

/** Report a usage error the way every atlas verb does. */
export function usageError(io: CliIo, verb: string, message: string, usage: string): number {
  io.stderr.write(`bpf-atlas ${verb}: ${message}\n\n${usage}`);
  return 2;
}

/** The Atlas for a CLI run: bundled atlases, live unless --no-live, and atlas files named by
 *  --kernel (those are registered so their ids resolve). */
export function cliAtlas(opts: { live: boolean; files?: string[] }): Atlas {
  const atlas = new Atlas({ live: opts.live, liveCacheDir: liveCacheDir() });
  for (const f of opts.files ?? []) atlas.addFile(f);
  return atlas;
}

function count(n: number | undefined): string {
  return n === undefined ? '-' : String(n);
}

function coverageNote(m: KernelMeta): string {
  const c = m.coverage;
  const parts: string[] = [];
  parts.push(c.btf ? 'BTF' : 'no BTF');
  if (c.inline === 'dwarf') parts.push('inline');
  if (c.ftrace) parts.push('ftrace');
  if (c.blacklist) parts.push('blacklist');
  if (c.modules) parts.push('modules');
  if (c.exactFieldOffsets) parts.push('offsets');
  // Types: `types` with layout (BTF), `members` for member lists without offsets (DepSurf).
  if (c.types) parts.push(c.types.layout ? 'types' : 'members');
  return parts.join(',');
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, ['--json', '--no-live', '--help', '-h'], ['--kernel']);
  } catch (e) {
    return usageError(io, 'kernels', (e as Error).message, KERNELS_USAGE);
  }
  if (args.flags.has('--help') || args.flags.has('-h')) {
    io.stdout.write(KERNELS_USAGE);
    return 0;
  }
  if (args.positional.length) return usageError(io, 'kernels', `unexpected argument ${args.positional[0]}`, KERNELS_USAGE);
  let atlas: Atlas;
  try {
    atlas = cliAtlas({ live: !args.flags.has('--no-live'), files: args.values.get('--kernel') });
  } catch (e) {
    return usageError(io, 'kernels', (e as Error).message, KERNELS_USAGE);
  }
  for (const w of atlas.warnings) io.stderr.write(`bpf-atlas kernels: warning: ${w}\n`);
  if (atlas.hasLive()) {
    try {
      await atlas.loadLive();
      for (const p of atlas.liveProblems) io.stderr.write(`bpf-atlas kernels: note (live): ${p}\n`);
    } catch (e) {
      io.stderr.write(`bpf-atlas kernels: warning: the running kernel could not be read: ${(e as Error).message}\n`);
    }
  }
  const metas = atlas.list();
  if (args.flags.has('--json')) {
    io.stdout.write(`${JSON.stringify({ kernels: metas.map((m) => ({
      id: m.id, release: m.release, version: m.version, arch: m.arch, distro: m.distro, codename: m.codename,
      flavor: m.flavor, lts: m.lts, source: m.source, provenance: m.provenance, coverage: m.coverage, counts: m.counts,
    })) }, null, 2)}\n`);
    atlas.saveLiveCache();
    return 0;
  }
  const rows = [['ID', 'RELEASE', 'ARCH', 'SOURCE', 'FUNCS', 'TPS', 'SYSCALLS', 'LSM', 'COVERAGE']];
  for (const m of metas) {
    rows.push([m.id, m.release, m.arch, m.source, count(m.counts.functions), count(m.counts.tracepoints), count(m.counts.syscalls), count(m.counts.lsmHooks), coverageNote(m)]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) io.stdout.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')}\n`);
  atlas.saveLiveCache();
  return 0;
}
