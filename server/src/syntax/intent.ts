// Program intent: what a BPF source file and its loader say about when each program is attached,
// so that a fact about one program is judged as the tool uses it. A program is
//   - `always`: loaded and attached by its section on every kernel;
//   - `optional`: `SEC("?...")`, loaded only when user space switches it on;
//   - `runtime-chosen`: the loader switches it off or picks between it and others at run time
//     (syntax/loader.ts reads the choices);
//   - `alternative`: no loader was read, and the file ships other programs for the same hook
//     (fentry/kprobe, tp_btf/raw_tp/tracepoint of one event, `_nested` twins): a loader picks one;
//   - `not-attached-by-section`: a tail-call program (listed in a prog-array initialiser), a
//     program the loader attaches itself by a computed name, retargets to a computed name, or a
//     BPF-to-BPF tracing program (`fentry/xdp`, `fentry/tc`) whose target is a BPF program.
// Choices are kept as groups of program indexes with their configurations (the programs switched
// off on one path); analysis/intent.ts decides per kernel whether a path exists that attaches.
// Pure: the C model (and the loader facts) in, plain data out.

import { lex, type BpfProgram } from './cModel';
import type { LoaderFacts, LoaderGuard, LoaderSite } from './loader';

export type AttachIntent = 'always' | 'optional' | 'alternative' | 'runtime-chosen' | 'not-attached-by-section';

export interface ProgramIntent {
  intent: AttachIntent;
  /** Why, in a few words (`listed in the prog-array map tail_calls`). */
  because?: string;
  /** Where the loader decides. */
  site?: LoaderSite;
  /** Literal names the loader retargets the program to (`set_attach_target`). */
  retargets?: string[];
  /** A tail call candidate: the file calls bpf_tail_call with prog-array maps filled at run time;
   *  a section naming no kernel hook is then a tail-call entry rather than an error. */
  tailCallFile?: boolean;
}

/** A choice between programs: indexes into the model's programs, and the configurations (each the
 *  indexes switched off on one path). */
export interface ProgramChoice {
  members: number[];
  configs: number[][];
  /** The loader's decision point, or undefined for alternatives read from the file alone. */
  site?: LoaderSite;
  /** Per configuration: the kernel checks that path assumes (syntax/loader.ts). */
  guards?: LoaderGuard[][];
}

export interface IntentModel {
  programs: ProgramIntent[];
  choices: ProgramChoice[];
  /** Loader files read. */
  loaderFiles: string[];
}

/** BPF program types that BPF-to-BPF tracing (fentry/fexit on a BPF program, set with
 *  attach_prog_fd) names in place of a kernel function. */
const BPF_PROGRAM_TARGETS = new Set(['xdp', 'tc', 'tcx', 'classifier', 'action', 'socket', 'sk_skb', 'sk_msg', 'cgroup_skb', 'lwt', 'freplace', 'prog']);

/** The hook a program of the file stands for, so that programs of one hook group together:
 *  function entry (`kprobe`, `fentry`, `ksyscall`), function return, or an event. */
export function hookKey(program: BpfProgram): string | undefined {
  const kind = program.kind;
  const name = program.target?.name;
  if (!kind || !name) return undefined;
  const base = name.replace(/\.(isra|constprop|part|cold|llvm)\..*$/, '').replace(/_nested$/, '').replace(/^__+/, '');
  switch (kind) {
    case 'kprobe': case 'fentry': case 'kprobe.multi': case 'ksyscall': case 'fmod_ret': return `enter:${base}`;
    case 'kretprobe': case 'fexit': case 'kretprobe.multi': case 'kretsyscall': return `exit:${base}`;
    case 'tp_btf': case 'raw_tp': case 'tracepoint': return `event:${name}`;
    default: return undefined;
  }
}

/** Handler name without the affixes tools use for twins of one hook (`_btf`, `_raw`, `_nested`,
 *  `kprobe_`, `fentry_`...). */
function twinStem(name: string): string {
  return name.replace(/^(handle_|trace_|tp_btf_|raw_tp_|tp_|kprobe_+|kretprobe_+|fentry_+|fexit_+|tracepoint_+)/, '')
    .replace(/(_btf|_raw|_raw_tp|_tp|_nested|_kprobe|_kretprobe|_fentry|_fexit|_tracepoint)$/, '');
}

/** `enter`, `exit` or `event`, from a hookKey. */
function direction(key: string): string {
  return key.slice(0, key.indexOf(':'));
}

export interface FileFacts {
  /** Program names listed in prog-array map initialisers (`.values = { [0] = (void *)&prog }`). */
  tailCallListed: Set<string>;
  /** The file declares a prog-array map and calls bpf_tail_call. */
  usesTailCalls: boolean;
}

/** Tail-call facts of a C file. */
export function fileFacts(text: string): FileFacts {
  const tokens = text.includes('bpf_tail_call') ? lex(text).tokens : [];
  const listed = new Set<string>();
  let progArray = false;
  let tailCall = false;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.kind !== 'ident') continue;
    if (t.text === 'BPF_MAP_TYPE_PROG_ARRAY') {
      progArray = true;
      // The map's initialiser: `} name SEC(".maps") = { .values = { [K] = (void *)&prog, ... } };`
      let j = k;
      while (j < tokens.length && tokens[j].text !== '}') j++;
      for (let s = j; s < Math.min(tokens.length, j + 12); s++) {
        if (tokens[s].text === '=' && tokens[s + 1]?.text === '{') {
          let depth = 0;
          for (let e = s + 1; e < tokens.length; e++) {
            if (tokens[e].text === '{') depth++;
            else if (tokens[e].text === '}') { depth--; if (depth === 0) break; }
            else if (tokens[e].text === '&' && tokens[e + 1]?.kind === 'ident') listed.add(tokens[e + 1].text);
          }
          break;
        }
        if (tokens[s].text === ';') break;
      }
    }
    if (t.text === 'bpf_tail_call' && tokens[k + 1]?.text === '(') tailCall = true;
  }
  return { tailCallListed: listed, usesTailCalls: progArray && tailCall };
}

/** The intent of every program of a file, with the choices between them. */
export function buildIntents(programs: readonly BpfProgram[], file: FileFacts, loader?: LoaderFacts): IntentModel {
  const intents: ProgramIntent[] = programs.map(() => ({ intent: 'always' }));
  const byName = new Map<string, number[]>();
  programs.forEach((p, i) => {
    const name = p.handler?.name;
    if (!name) return;
    byName.set(name, [...(byName.get(name) ?? []), i]);
  });
  programs.forEach((p, i) => setProgramIntent(intents[i], p, file, loader));
  const choices = loader ? loaderChoices(loader, byName) : fileAlternatives(programs, intents);
  return { programs: intents, choices, loaderFiles: loader?.files ?? [] };
}

/** Sets one program's intent from its section, the file's tail calls and the loader. */
function setProgramIntent(it: ProgramIntent, p: BpfProgram, file: FileFacts, loader?: LoaderFacts): void {
  const name = p.handler?.name ?? '';
  if (p.optional) it.intent = 'optional';
  if (file.usesTailCalls) it.tailCallFile = true;
  if (file.tailCallListed.has(name)) {
    it.intent = 'not-attached-by-section';
    it.because = 'a tail-call program listed in a prog-array map';
    return;
  }
  if ((p.kind === 'fentry' || p.kind === 'fexit' || p.kind === 'fmod_ret') && p.target?.name && BPF_PROGRAM_TARGETS.has(p.target.name)) {
    it.intent = 'not-attached-by-section';
    it.because = `traces a BPF program (${p.target.name}), set by user space with attach_prog_fd`;
    return;
  }
  if (loader) setLoaderIntent(it, p, name, loader);
}

/** Sets one program's intent from what the loader does with it (attach, retarget, switch off/on). */
function setLoaderIntent(it: ProgramIntent, p: BpfProgram, name: string, loader: LoaderFacts): void {
  const attached = loader.attachedByName.get(name);
  if (attached) {
    it.intent = 'not-attached-by-section';
    it.site = attached.site;
    it.because = attached.computed || !attached.names.length
      ? 'attached by the loader to a target it computes'
      : `attached by the loader to ${attached.names.join(', ')}`;
    if (!attached.computed && attached.names.length) it.retargets = attached.names;
    return;
  }
  const retarget = loader.retargets.get(name);
  if (retarget?.computed) {
    it.intent = 'not-attached-by-section';
    it.site = retarget.site;
    it.because = 'retargeted by the loader to a name it computes';
    return;
  }
  if (retarget) {
    it.retargets = retarget.names;
    it.site = retarget.site;
    it.intent = 'runtime-chosen';
    it.because = `retargeted by the loader to ${retarget.names.join(' or ')}`;
  }
  const off = loader.switchedOff.get(name);
  if (off) {
    it.intent = 'runtime-chosen';
    it.site ??= off;
    it.because ??= 'switched off by the loader on some kernels';
  }
  if (p.optional && loader.switchedOn.has(name)) {
    it.intent = 'runtime-chosen';
    it.site ??= loader.switchedOn.get(name);
    it.because ??= 'switched on by the loader';
  }
}

/** The loader's choices as program indexes, plus programs switched off outside any choice. */
function loaderChoices(loader: LoaderFacts, byName: Map<string, number[]>): ProgramChoice[] {
  const indexesOf = (names: readonly string[]) => names.flatMap((n) => byName.get(n) ?? []);
  const choices: ProgramChoice[] = [];
  for (const c of loader.choices) {
    const members = indexesOf(c.programs);
    if (members.length < 1) continue;
    choices.push({ members, configs: c.configs.map((cfg) => indexesOf(cfg)), site: c.site, guards: c.guards });
  }
  // A program switched off outside any choice: off on every path that reaches the call.
  for (const [name, site] of loader.switchedOff) {
    const idx = byName.get(name) ?? [];
    if (idx.length && !choices.some((c) => idx.some((i) => c.members.includes(i)))) choices.push({ members: idx, configs: [idx, []], site });
  }
  return choices;
}

/** No loader read: programs of one hook in the file (fentry and kprobe of a function, tp_btf and
 *  raw_tp of an event, `_nested` twins) are alternatives a loader picks between; marks them so. */
function fileAlternatives(programs: readonly BpfProgram[], intents: ProgramIntent[]): ProgramChoice[] {
  const choices: ProgramChoice[] = [];
  for (const members of hookGroups(programs, intents)) {
    // Distinct hooks only: two programs on the very same section are not alternatives.
    if (new Set(members.map((i) => programs[i].section.replace(/^\?/, ''))).size < 2) continue;
    choices.push({ members, configs: members.map((keep) => members.filter((i) => i !== keep)) });
    for (const i of members) {
      if (intents[i].intent === 'always') {
        intents[i].intent = 'alternative';
        intents[i].because = 'one of several programs for the same hook in this file';
      }
    }
  }
  return choices;
}

/** Groups (two or more) of program indexes sharing a hook or a handler twin stem, overlaps merged.
 *  (Each program's hook is read once: a file may hold a thousand programs, judged per version.) */
function hookGroups(programs: readonly BpfProgram[], intents: readonly ProgramIntent[]): number[][] {
  const groups = new Map<string, number[]>();
  const add = (map: Map<string, number[]>, key: string, i: number) => {
    const list = map.get(key);
    if (list) list.push(i);
    else map.set(key, [i]);
  };
  // Handler twins of one direction (`sched_wakeup` / `sched_wakeup_btf`) join their groups.
  const stems = new Map<string, number[]>();
  programs.forEach((p, i) => {
    if (intents[i].intent === 'not-attached-by-section') return;
    const key = hookKey(p);
    if (!key) return;
    add(groups, key, i);
    if (p.handler?.name) add(stems, `${direction(key)}:${twinStem(p.handler.name)}`, i);
  });
  const merged: number[][] = [];
  for (const g of [...groups.values(), ...stems.values()]) {
    if (g.length < 2) continue;
    const overlapping = merged.filter((m) => m.some((i) => g.includes(i)));
    const all = new Set<number>(g);
    for (const m of overlapping) { for (const i of m) all.add(i); merged.splice(merged.indexOf(m), 1); }
    merged.push([...all].sort((a, b) => a - b));
  }
  return merged;
}
