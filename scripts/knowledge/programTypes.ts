// Rebuilds data/knowledge/program-types.json and data/knowledge/kfuncs.json from Debian's
// linux-source packages of the bundled Debian kernels (scripts/knowledge/linuxSource.ts):
//
//   node out/scripts/knowledge/programTypes.js [--fetch] [--src-dir DIR] [--out-dir DIR]
//
// program-types.json: per kernel source, which helpers each program type may call and under which
// condition, with the function and file that grants each (sourceFacts.ts); the helper protos'
// gpl_only / might_sleep / .allowed rules and the BTF sets those consult; the config values of the
// Debian build for every option the conditions name; libbpf's SEC() table from the newest source.
// kfuncs.json: per kernel source, the kfunc id sets, their members with flags, and the program
// types each set is registered for (kfuncFacts.ts).
// The output is deterministic: the same packages give byte-identical files.

import fs from 'node:fs';
import path from 'node:path';
import { type Formula, atoms } from '../../server/src/knowledge/formula';
import type { SourceRow } from '../../server/src/knowledge/types';
import { loadCParser } from '../../server/src/syntax/parser';
import { repoRoot } from './apt';
import { type KfuncFacts, readKfuncFacts } from './kfuncFacts';
import {
  LINUX_SOURCES, type LinuxSource, defaultSourceDir, fetchPackages, kernelConfig, missingPackages, sourceTree,
} from './linuxSource';
import { type HelperRule, type SourceFacts, parseLibbpfFallbacks, parseSectionDefs, readSourceFacts } from './sourceFacts';

/** The fields every per-source row starts with; `formulas` name the config options to record. */
function sourceRow(src: LinuxSource, formulas: Formula[], config: Map<string, string>): SourceRow {
  return {
    version: src.version, kernel: src.kernelId, source: sourceLabel(src), config: configLabel(src),
    configValues: configValues(formulas, config),
  };
}

function sourceLabel(src: LinuxSource): string {
  return `Debian ${src.source.name} ${src.source.version}`;
}

function configLabel(src: LinuxSource): string {
  return `${src.config.name} ${src.config.version} ${src.config.member}`;
}

/** Values of the config options named in `formulas`: y, m or n. */
function configValues(formulas: Formula[], config: Map<string, string>): Record<string, string> {
  const names = new Set<string>();
  for (const f of formulas) for (const a of atoms(f)) if (/^configm?:/.test(a)) names.add(a.replace(/^configm?:/, ''));
  const out: Record<string, string> = {};
  for (const n of [...names].sort()) out[n] = config.get(n) ?? 'n';
  return out;
}

function sortKeys<T>(obj: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function renderProgramTypes(
  perSource: { src: LinuxSource; facts: SourceFacts; config: Map<string, string> }[],
  libbpfC: { text: string; from: LinuxSource },
): string {
  const sections = parseSectionDefs(libbpfC.text).map((s) => ({
    ...s, source: `tools/lib/bpf/libbpf.c section_defs[] in ${sourceLabel(libbpfC.from)}`,
  }));
  const kernels = perSource.map(({ src, facts, config }) => {
    const formulas: Formula[] = [];
    const progTypes: Record<string, unknown> = {};
    // Program types sharing a get_func_proto (SCHED_CLS and SCHED_ACT...) share one helper table.
    const funcProtos: Record<string, Record<string, HelperRule[]>> = {};
    for (const pt of facts.progTypes) {
      formulas.push(pt.guard);
      progTypes[pt.name] = { guard: pt.guard, ops: pt.ops, getFuncProto: pt.where ?? null };
      if (!pt.where || funcProtos[pt.where]) continue;
      for (const rules of Object.values(pt.helpers)) for (const r of rules) formulas.push(r[0]);
      funcProtos[pt.where] = sortKeys(pt.helpers);
    }
    for (const p of Object.values(facts.protos)) if (p.allowed !== undefined) formulas.push(p.allowed);
    for (const s of Object.values(facts.sets)) for (const m of s.members) formulas.push(m[1]);
    return {
      ...sourceRow(src, formulas, config),
      helperIds: Object.fromEntries([...facts.helperIds].sort((a, b) => a[1] - b[1])),
      progTypes,
      funcProtos: sortKeys(funcProtos),
      protos: sortKeys(facts.protos),
      sets: sortKeys(facts.sets),
      errorInjection: facts.errorInjection,
    };
  });
  const fallbacks = parseLibbpfFallbacks(libbpfC.text).map((f) => ({
    ...f, source: `tools/lib/bpf/libbpf.c bpf_object__sanitize_prog() in ${sourceLabel(libbpfC.from)}`,
  }));
  const doc = {
    about: 'Which BPF helpers each program type may call, per kernel source, derived from the *_func_proto ' +
      'functions (get_func_proto of each bpf_verifier_ops) by scripts/knowledge/programTypes.ts. ' +
      'helpers[name] lists [condition, proto or null, "file:function" that returns it]; a helper missing ' +
      'from a program type is refused there. Conditions are formulas over atoms documented in ' +
      'data/knowledge/README.md.',
    sections,
    libbpfFallbacks: fallbacks,
    kernels,
  };
  return stableJson(doc, 5);
}

export function renderKfuncs(perSource: { src: LinuxSource; kfuncs: KfuncFacts; config: Map<string, string> }[]): string {
  const kernels = perSource.map(({ src, kfuncs, config }) => {
    const formulas: Formula[] = [];
    for (const s of kfuncs.sets) {
      formulas.push(s.guard);
      for (const m of s.members) formulas.push(m.guard);
      for (const r of s.registrations) formulas.push(r.guard);
    }
    for (const h of kfuncs.hooks) formulas.push(h.when);
    return {
      ...sourceRow(src, formulas, config),
      mechanism: kfuncs.mechanism,
      hooks: kfuncs.hooks,
      sets: kfuncs.sets.map(({ objConfig, ...set }) => ({
        ...set,
        built: objConfig === null ? null : objConfig === 'y' ? 'y' : config.get(objConfig) ?? 'n',
      })),
    };
  });
  const doc = {
    about: 'BPF kfuncs per kernel source: the kfunc BTF id sets (BTF_KFUNCS_START / BTF_SET8_START with ' +
      'BTF_ID_FLAGS(func, ...), and the older BTF_SET_START lists checked by check_kfunc_call), the program ' +
      'types each set is registered for, and the prog-type-to-hook table that decides which registrations a ' +
      'program sees. Generated by scripts/knowledge/programTypes.ts.',
    kernels,
  };
  return stableJson(doc);
}

/** JSON indented to `depth` levels, deeper values on one line each: a rebuild's diff shows the
 *  facts that changed without a line per atom. */
export function stableJson(value: unknown, depth = 4): string {
  const go = (v: unknown, level: number, pad: string): string => {
    if (level >= depth || v === null || typeof v !== 'object') return JSON.stringify(v);
    const inner = pad + ' ';
    if (Array.isArray(v)) {
      if (!v.length) return '[]';
      return `[\n${v.map((x) => inner + go(x, level + 1, inner)).join(',\n')}\n${pad}]`;
    }
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (!entries.length) return '{}';
    return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${go(x, level + 1, inner)}`).join(',\n')}\n${pad}}`;
  };
  return go(value, 0, '') + '\n';
}

export async function buildKnowledge(srcDir: string, root = repoRoot()): Promise<{ programTypes: string; kfuncs: string; problems: string[] }> {
  const missing = missingPackages(srcDir, root);
  if (missing.length) throw new Error(`missing packages: ${missing.map((p) => `${p.name}=${p.version}`).join(', ')} (run with --fetch)`);
  const { create } = await loadCParser();
  const parser = create();
  const perSource: { src: LinuxSource; facts: SourceFacts; kfuncs: KfuncFacts; config: Map<string, string> }[] = [];
  const problems: string[] = [];
  for (const src of LINUX_SOURCES) {
    const tree = sourceTree(src, srcDir, root);
    const facts = readSourceFacts(tree, parser);
    const kfuncs = readKfuncFacts(tree, parser);
    problems.push(...facts.problems.map((p) => `${src.version}: ${p}`), ...kfuncs.problems.map((p) => `${src.version}: ${p}`));
    perSource.push({ src, facts, kfuncs, config: kernelConfig(src, srcDir, root) });
  }
  const newest = LINUX_SOURCES[LINUX_SOURCES.length - 1];
  const libbpf = fs.readFileSync(path.join(sourceTree(newest, srcDir, root), 'tools/lib/bpf/libbpf.c'), 'utf8');
  return {
    programTypes: renderProgramTypes(perSource, { text: libbpf, from: newest }),
    kfuncs: renderKfuncs(perSource),
    problems,
  };
}

async function main(argv: string[]): Promise<void> {
  const root = repoRoot();
  const valueOf = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const srcDir = path.resolve(valueOf('--src-dir') ?? defaultSourceDir(root));
  const outDir = path.resolve(valueOf('--out-dir') ?? path.join(root, 'data', 'knowledge'));
  if (argv.includes('--fetch')) fetchPackages(srcDir, root);
  const { programTypes, kfuncs, problems } = await buildKnowledge(srcDir, root);
  fs.writeFileSync(path.join(outDir, 'program-types.json'), programTypes);
  fs.writeFileSync(path.join(outDir, 'kfuncs.json'), kfuncs);
  for (const p of problems) console.log(`note: ${p}`);
  console.log(`wrote ${outDir}/program-types.json (${programTypes.length} bytes) and kfuncs.json (${kfuncs.length} bytes)`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`programTypes: ${(err as Error).message}`);
    process.exit(1);
  });
}
