// `bpf-atlas lookup [--kernel ID]... [--all] [--json] TARGET`: what one attach point is on each
// target kernel (found, attachable, hazards, the symbol to attach to, prototype, record fields,
// raw arguments) and how it differs between them. JSON schema: docs/cli.md.

import type { Atlas } from '../atlas/atlas';
import { formatTarget, parseTarget } from '../model/targets';
import { cDecl } from '../atlas/model';
import type { Assessment, AttachTarget, Hazard } from '../atlas/model';
import { AnalysisCache } from '../analysis/cache';
import { attachVerdicts, type AttachVerdicts } from '../analysis/verdicts';
import { HAZARD_SEVERITY } from '../model/hazards';
import { dataDir } from '../dataDir';
import { loadKnowledge } from '../knowledge/load';
import path from 'node:path';
import type { CliIo } from './io';
import { parseArgs, type ParsedArgs } from './args';
import { cliAtlas, usageError } from './kernels';
import { parseTypeTarget, typeLookupJson, typeLookupText, type TypeTarget } from './typeLookup';

export const LOOKUP_USAGE = `usage: bpf-atlas lookup [--kernel ID]... [--all] [--json] [--no-live] TARGET

Shows, for each target kernel, whether TARGET exists and attaches, its hazards (inlined,
renamed, blacklisted, no BTF, ...), the symbol to attach to, the prototype, the tracepoint record
fields and the raw arguments.

TARGET: kprobe:FN  kretprobe:FN  fentry:FN  fexit:FN  tracepoint:SYSTEM:EVENT (or SYSTEM/EVENT)
        raw_tp:EVENT  tp_btf:EVENT  lsm:HOOK  ksyscall:NAME  kprobe.multi:PATTERN
        or a type, as CO-RE resolves it: struct:NAME[.MEMBER[.MEMBER...]]  union:NAME[.MEMBER]
        enum:NAME[.VALUE]  typedef:NAME   (e.g. struct:task_struct.__state)

  --kernel ID   a target kernel: an id (debian-12, ubuntu-22.04, live), a release (6.1, 5.15),
                or an atlas file from \`bpf-atlas index\`; repeat for several. Default: the
                running kernel when readable, else the newest bundled LTS kernels.
  --all         every known kernel
  --json        machine-readable output (schema in docs/cli.md)
  --no-live     do not read the running kernel
`;

/** One element of `results` in the JSON output. */
export interface LookupJsonResult {
  kernel: string;
  release?: string;
  found: boolean;
  attachable: boolean;
  hazards: string[];
  messages: { hazard: string; severity: string; message: string }[];
  attachAs?: string;
  inlinedSites?: number;
  proto?: string;
  fields?: { name: string; type: string; offset: number | null; size: number | null }[];
  args?: { name: string; type: string }[];
  system?: string;
  template?: string;
  fmt?: string;
  symbols?: string[];
  module?: string;
}

export interface LookupJson {
  target: string;
  kind: string;
  name: string;
  system?: string;
  results: LookupJsonResult[];
  across: { hazard: string; severity: string; message: string }[];
}

function messages(hazards: Hazard[]): LookupJsonResult['messages'] {
  return hazards.map((h) => ({ hazard: h.name, severity: h.severity, message: h.message }));
}

/** The hazards that differ between the kernels, from the verdicts' shape differences. */
function acrossKernels(verdicts: AttachVerdicts): Hazard[] {
  return verdicts.differences.map((d) => ({ name: d.hazard, severity: HAZARD_SEVERITY[d.hazard], message: d.message }));
}

/** The JSON form of a lookup (exported for tests and other front ends): the verdicts every
 *  feature reaches (analysis/verdicts.ts), per kernel and across them. */
export function lookupJson(target: AttachTarget, verdicts: AttachVerdicts, releases: Map<string, string>): LookupJson {
  const results = verdicts.kernels.map(({ assessment: a, hazards }): LookupJsonResult => {
    const r: LookupJsonResult = {
      kernel: a.kernel, release: releases.get(a.kernel), found: a.found, attachable: a.attachable,
      hazards: hazards.map((h) => h.name), messages: messages(hazards),
    };
    if (a.attachAs) r.attachAs = a.attachAs;
    if (a.inlinedSites !== undefined) r.inlinedSites = a.inlinedSites;
    if (a.proto) r.proto = a.proto;
    if (a.fields) r.fields = a.fields.map((f) => ({ name: f.name, type: f.type, offset: f.offset ?? null, size: f.size ?? null }));
    if (a.args) r.args = a.args.map((p) => ({ name: p.name, type: p.type }));
    for (const k of ['system', 'template', 'fmt', 'symbols', 'module'] as const) {
      if (a[k] !== undefined) (r as unknown as Record<string, unknown>)[k] = a[k];
    }
    return r;
  });
  const out: LookupJson = { target: formatTarget(target), kind: target.kind, name: target.name, results, across: messages(acrossKernels(verdicts)) };
  if (target.system) out.system = target.system;
  return out;
}

function verdict(a: Assessment): string {
  if (!a.found) return a.hazards.some((h) => h.name === 'absent') ? 'absent' : 'not found';
  if (a.attachable) return a.hazards.some((h) => h.severity === 'warning') ? 'attachable, with warnings' : 'attachable';
  return a.attachAs ? `not attachable by name (use ${a.attachAs})` : 'not attachable';
}

function text(target: AttachTarget, verdicts: AttachVerdicts, releases: Map<string, string>): string {
  const lines: string[] = [formatTarget(target)];
  for (const { assessment: a, hazards } of verdicts.kernels) {
    const rel = releases.get(a.kernel);
    lines.push('', `  ${a.kernel}${rel ? ` (${rel})` : ''}: ${verdict(a)}`);
    if (a.proto) lines.push(`    ${a.proto}`);
    if (target.pattern && a.symbols?.length) lines.push(`    matches: ${a.symbols.slice(0, 12).join(', ')}${a.symbols.length > 12 ? ', ...' : ''}`);
    if (a.system && target.kind !== 'tracepoint') lines.push(`    event ${a.system}:${target.name}`);
    if (a.args?.length && !a.proto) lines.push(`    args: ${a.args.map((p) => cDecl(p.type, p.name)).join(', ')}`);
    if (a.fields?.length) {
      lines.push('    fields:');
      for (const f of a.fields) {
        const where = f.offset !== undefined ? `offset ${f.offset}${f.size !== undefined ? ` size ${f.size}` : ''}` : 'offset not known';
        lines.push(`      ${`${cDecl(f.type, f.name)};`.padEnd(44)} ${where}`);
      }
    }
    for (const h of hazards) lines.push(`    ${h.severity} ${h.name}: ${h.message}`);
  }
  const across = acrossKernels(verdicts);
  if (across.length) {
    lines.push('', '  across kernels:');
    for (const h of across) lines.push(`    ${h.severity} ${h.name}: ${h.message}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The atlas and the kernels to look in (--all, --kernel or the defaults, the running kernel read);
 *  or the exit code when there are none. */
async function lookupKernels(args: ParsedArgs, io: CliIo): Promise<{ atlas: Atlas; ids: string[] } | number> {
  let atlas: Atlas;
  let ids: string[];
  try {
    atlas = cliAtlas({ live: !args.flags.has('--no-live') });
    const specs = args.values.get('--kernel') ?? [];
    if (args.flags.has('--all')) ids = atlas.list().map((m) => m.id);
    else if (specs.length) {
      const r = atlas.resolveAll(specs);
      if (r.errors.length) return usageError(io, 'lookup', r.errors.join('\n'), LOOKUP_USAGE);
      ids = r.ids;
    } else ids = atlas.defaultTargets();
  } catch (e) {
    return usageError(io, 'lookup', (e as Error).message, LOOKUP_USAGE);
  }
  if (!ids.length) {
    io.stderr.write('bpf-atlas lookup: no kernels to look in (no bundled atlas found and the running kernel is not readable); give --kernel FILE\n');
    return 2;
  }
  if (ids.includes('live')) {
    try {
      await atlas.loadLive();
    } catch (e) {
      io.stderr.write(`bpf-atlas lookup: the running kernel could not be read: ${(e as Error).message}\n`);
      ids = ids.filter((id) => id !== 'live');
      if (!ids.length) return 1;
    }
  }
  return { atlas, ids };
}

/** Looks up a type target on the kernels and writes it (text or --json); the exit code. */
function lookupType(typeTarget: TypeTarget, args: ParsedArgs, io: CliIo, atlas: Atlas, ids: string[]): number {
  let json;
  try {
    json = typeLookupJson(typeTarget, ids.map((id) => ({ id, kernel: atlas.get(id) })), atlas.list());
  } catch (e) {
    io.stderr.write(`bpf-atlas lookup: ${(e as Error).message}\n`);
    return 1;
  }
  for (const w of atlas.warningsSoFar()) io.stderr.write(`bpf-atlas lookup: warning: ${w}\n`);
  io.stdout.write(args.flags.has('--json') ? `${JSON.stringify(json, null, 2)}\n` : typeLookupText(json, typeTarget));
  atlas.saveLiveCache();
  return 0;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, ['--json', '--all', '--no-live', '--help', '-h'], ['--kernel']);
  } catch (e) {
    return usageError(io, 'lookup', (e as Error).message, LOOKUP_USAGE);
  }
  if (args.flags.has('--help') || args.flags.has('-h')) {
    io.stdout.write(LOOKUP_USAGE);
    return 0;
  }
  if (args.positional.length !== 1) {
    return usageError(io, 'lookup', args.positional.length ? 'give exactly one TARGET' : 'missing TARGET', LOOKUP_USAGE);
  }
  let target: AttachTarget | undefined;
  const typeTarget: TypeTarget | undefined = parseTypeTarget(args.positional[0]);
  if (!typeTarget) {
    try {
      target = parseTarget(args.positional[0]);
    } catch (e) {
      return usageError(io, 'lookup', (e as Error).message, LOOKUP_USAGE);
    }
  }
  const resolved = await lookupKernels(args, io);
  if (typeof resolved === 'number') return resolved;
  const { atlas, ids } = resolved;
  if (typeTarget) return lookupType(typeTarget, args, io, atlas, ids);
  if (!target) return 2;
  for (const id of ids) {
    try {
      atlas.get(id);
    } catch (e) {
      io.stderr.write(`bpf-atlas lookup: ${(e as Error).message}\n`);
      return 1;
    }
  }
  for (const w of atlas.warningsSoFar()) io.stderr.write(`bpf-atlas lookup: warning: ${w}\n`);
  const knowledge = loadKnowledge(path.join(dataDir(), 'knowledge'));
  const verdicts = attachVerdicts(target, { atlas, targets: ids, knowledge, cache: new AnalysisCache() });
  const releases = new Map(ids.map((id) => [id, atlas.get(id).meta.release]));
  if (args.flags.has('--json')) io.stdout.write(`${JSON.stringify(lookupJson(target, verdicts, releases), null, 2)}\n`);
  else io.stdout.write(text(target, verdicts, releases));
  // The running kernel, once read, is kept for the next run (atlas/liveCache.ts).
  atlas.saveLiveCache();
  return 0;
}
