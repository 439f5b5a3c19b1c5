// kfuncs of one kernel source tree: the BTF id sets that declare them (BTF_KFUNCS_START /
// BTF_SET8_START ... BTF_ID_FLAGS(func, name, flags) ... END, with the #if conditions of every line),
// the btf_kfunc_id_set structs that point at them (.set, .filter), the register_btf_kfunc_id_set()
// calls that register them for a program type (and the function and conditions of each call), and
// the table bpf_prog_type_to_kfunc_hook() that decides which registrations a program type sees
// (kernel/bpf/btf.c). Kernels before kfunc id sets (5.13-5.17: per-ops check_kfunc_call callbacks)
// are recognised; 5.10 has no kfuncs at all.

import fs from 'node:fs';
import path from 'node:path';
import type { Parser } from 'web-tree-sitter';
import type { Formula } from '../../server/src/knowledge/formula';
import type { KfuncSetData, KfuncSource } from '../../server/src/knowledge/types';
import { walkLines } from './cpp';
import { grepFiles, parseBtfSets } from './sourceFacts';

/** A kfunc set as kfuncs.json stores it, with the config option that builds its file (`y`: always
 *  built in; from its Makefile; null if not found) in place of how the Debian build built it. */
export type KfuncSetFacts = Omit<KfuncSetData, 'built'> & { objConfig: string | null };

export interface KfuncFacts {
  mechanism: KfuncSource['mechanism'];
  hooks: KfuncSource['hooks'];
  sets: KfuncSetFacts[];
  problems: string[];
}

/** The case table of bpf_prog_type_to_kfunc_hook() in kernel/bpf/btf.c. */
export function parseKfuncHooks(btfC: string): KfuncFacts['hooks'] {
  const start = btfC.search(/\bbpf_prog_type_to_kfunc_hook\s*\(\s*enum bpf_prog_type\s+\w+\s*\)\s*\{/);
  if (start < 0) return [];
  const end = btfC.indexOf('\n}', start);
  const body = btfC.slice(start, end);
  const hooks: KfuncFacts['hooks'] = [];
  let pending: { progType: string; when: Formula }[] = [];
  walkLines(body, (line, guard) => {
    for (const m of line.matchAll(/case\s+(BPF_PROG_TYPE_\w+)\s*:/g)) pending.push({ progType: m[1], when: guard });
    if (/\bdefault\s*:/.test(line)) pending.push({ progType: 'default', when: guard });
    const ret = /return\s+(BTF_KFUNC_HOOK_\w+)\s*;/.exec(line);
    if (ret) {
      for (const p of pending) hooks.push({ progType: p.progType, hook: ret[1], when: p.when });
      pending = [];
    }
  });
  return hooks;
}

/** The config option that builds `rel` (`obj-$(CONFIG_X) += name.o`, or through a composite
 *  object `foo-y += name.o` / `foo-objs := ... name.o`); `y` for `obj-y`; null when not found. */
export function makefileConfig(tree: string, rel: string): string | null {
  const dir = path.dirname(rel);
  const makefile = path.join(tree, dir, 'Makefile');
  if (!fs.existsSync(makefile)) return null;
  const text = fs.readFileSync(makefile, 'utf8').replace(/\\\n/g, ' ');
  const find = (obj: string, depth: number): string | null => {
    if (depth > 3) return null;
    for (const line of text.split('\n')) {
      const m = /^\s*([\w-]+?)-(y|objs|\$\((CONFIG_\w+)\))\s*[+:]?=(.*)$/.exec(line);
      if (!m || !new RegExp(`(^|\\s)${obj.replace(/[.]/g, '\\.')}(\\s|$)`).test(m[4])) continue;
      const target = m[1];
      if (target === 'obj') return m[3] ?? 'y';
      // Part of a composite object foo.o: built (and built in or as a module) as foo.o is.
      const outer = find(`${target}.o`, depth + 1);
      if (outer) return outer;
      if (m[3]) return m[3];
    }
    return null;
  };
  return find(path.basename(rel).replace(/\.c$/, '.o'), 0);
}

/** Line number (1-based) of a character offset. */
function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The name of the function whose body contains `offset` (the nearest definition header above). */
function enclosingFunction(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const re = /^[a-z_][\w \t*]*?\b(\w+)\s*\([^;{}]*\)\s*\{/gm;
  let name = '?';
  for (const m of before.matchAll(re)) name = m[1];
  return name;
}

export function readKfuncFacts(tree: string, _parser: Parser): KfuncFacts {
  const files = grepFiles(tree, 'BTF_ID_FLAGS|BTF_KFUNCS_START|BTF_SET8_START|register_btf_kfunc_id_set|check_kfunc_call');
  const problems: string[] = [];
  const sets: KfuncSetFacts[] = [];
  /** id set structs by `file:name` (static names repeat across files: common_kfunc_set). */
  const idSets = new Map<string, { set: string; filter?: string; file: string }>();
  const registrations: { idSet: string; progType: string; guard: Formula; via: string; file: string }[] = [];
  let hasCheckKfuncCall = false;
  for (const rel of files) {
    const text = fs.readFileSync(path.join(tree, rel), 'utf8');
    const guards: Formula[] = [true];
    walkLines(text, (_l, g, n) => { guards[n] = g; });
    if (/\.check_kfunc_call\s*=/.test(text)) hasCheckKfuncCall = true;
    for (const s of parseBtfSets(text)) {
      if (s.kind === 'set') continue; // plain BTF_SET lists are id lookups, not kfunc sets here
      const startLine = lineOf(text, text.search(new RegExp(`BTF_(SET8|KFUNCS)_START\\(${s.name}\\)`)));
      sets.push({
        name: s.name, file: rel, guard: guards[startLine] ?? true, members: s.members.map(({ name, flags, guard }) => ({ name, flags, guard })),
        registrations: [], objConfig: makefileConfig(tree, rel),
      });
    }
    for (const m of text.matchAll(/(?:static\s+)?const\s+struct\s+btf_kfunc_id_set\s+(\w+)\s*=\s*\{([\s\S]*?)\};/g)) {
      const set = /\.set\s*=\s*&(\w+)/.exec(m[2])?.[1];
      if (!set) continue;
      idSets.set(`${rel}:${m[1]}`, { set, filter: /\.filter\s*=\s*(\w+)/.exec(m[2])?.[1], file: rel });
    }
    for (const m of text.matchAll(/register_btf_kfunc_id_set\(\s*(\w+)\s*,\s*&(\w+)\s*\)/g)) {
      const line = lineOf(text, m.index!);
      registrations.push({ idSet: m[2], progType: m[1], guard: guards[line] ?? true, via: `${rel}:${enclosingFunction(text, m.index!)}`, file: rel });
    }
  }
  for (const r of registrations) {
    const idSet = idSets.get(`${r.file}:${r.idSet}`) ?? [...idSets.entries()].find(([k]) => k.endsWith(`:${r.idSet}`))?.[1];
    if (!idSet) {
      problems.push(`${r.via}: register_btf_kfunc_id_set(${r.progType}, &${r.idSet}) names an unknown id set`);
      continue;
    }
    const set = sets.find((s) => s.name === idSet.set && s.file === idSet.file) ?? sets.find((s) => s.name === idSet.set);
    if (!set) {
      problems.push(`${r.via}: kfunc set ${idSet.set} not found`);
      continue;
    }
    if (!r.progType.startsWith('BPF_PROG_TYPE_')) problems.push(`${r.via}: program type argument ${r.progType} is not a constant`);
    set.registrations.push({ progType: r.progType, guard: r.guard, via: r.via });
    if (idSet.filter) set.filter = idSet.filter;
  }
  const btfC = path.join(tree, 'kernel/bpf/btf.c');
  const hooks = fs.existsSync(btfC) ? parseKfuncHooks(fs.readFileSync(btfC, 'utf8')) : [];
  const registered = sets.filter((s) => s.registrations.length);
  const mechanism = registrations.length ? 'id_sets' : hasCheckKfuncCall ? 'check_kfunc_call' : 'none';
  if (mechanism === 'id_sets' && !hooks.length) problems.push('no bpf_prog_type_to_kfunc_hook() table found');
  for (const s of sets) if (!s.registrations.length) problems.push(`kfunc set ${s.name} (${s.file}) is never registered (kept out)`);
  return { mechanism, hooks, sets: registered.sort((a, b) => (a.file + a.name < b.file + b.name ? -1 : 1)), problems };
}
