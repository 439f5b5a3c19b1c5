// The kernel struct member reads of a bpftrace script: chains such as `curtask->mm->arg_start`,
// `args.prev->__state` (kfunc/fentry and rawtracepoint arguments are BTF-typed),
// `((struct task_struct *)curtask)->__state`, and `$t->real_parent->tgid` where `$t` was assigned
// a cast or `curtask` in the same action block. bpftrace resolves each member against the running
// kernel's BTF when it compiles the script, so a member a kernel lacks fails the script there.
// This reads the text only (comments and strings blanked); the member questions are
// analysis/members.ts's. The accesses come in the C model's shape (syntax/coreAccess.ts).

import type { BtBlock, BtModel } from './bpftrace';
import { positionAt } from './bpftrace';
import { parseWrittenType, type AccessStep, type WrittenType } from './coreAccess';
import type { Range } from './cModel';

/** Where a chain starts in a bpftrace script. */
export type BtRoot =
  | { kind: 'type'; type: WrittenType }
  /** `args.NAME` / `args->NAME`: the probe argument's type, from the kernels. */
  | { kind: 'arg'; name: string };

export interface BtAccess {
  block: number;
  root: BtRoot;
  steps: AccessStep[];
  range: Range;
  start: number;
  end: number;
}

const TASK: WrittenType = { tag: 'struct', name: 'task_struct', pointers: 1, text: 'struct task_struct *' };

/** The text with comments and string literals replaced by spaces (offsets kept). */
function codeOnly(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:[^"\\\n]|\\.)*"?/g, (m) => m.replace(/[^\n]/g, ' '));
}

const CAST = String.raw`\(\s*\(\s*((?:struct|union)\s+\w+\s*\*+)\s*\)\s*[^()]*?\)`;
const ROOT = new RegExp(String.raw`${CAST}|\b(curtask)\b|\bargs\s*(?:\.|->)\s*(\w+)|\$(\w+)`, 'g');
const STEP = /^\s*(->|\.)\s*([A-Za-z_]\w*)/;

/** `$t = (struct task_struct *)curtask;`, `$t = curtask;`, `let $t: struct task_struct * = ...`. */
function variableTypes(body: string): Map<string, { at: number; type: WrittenType }[]> {
  const out = new Map<string, { at: number; type: WrittenType }[]>();
  const add = (name: string, at: number, type: WrittenType | undefined) => {
    if (type) out.set(name, [...(out.get(name) ?? []), { at, type }]);
  };
  for (const m of body.matchAll(/\$(\w+)\s*=\s*\(\s*((?:struct|union)\s+\w+\s*\*+)\s*\)/g)) add(m[1], m.index!, parseWrittenType(m[2]));
  for (const m of body.matchAll(/\$(\w+)\s*=\s*curtask\b(?!\s*->)/g)) add(m[1], m.index!, TASK);
  for (const m of body.matchAll(/\blet\s+\$(\w+)\s*:\s*((?:struct|union)\s+\w+\s*\*+)/g)) add(m[1], m.index!, parseWrittenType(m[2]));
  return out;
}

function blockAccesses(model: BtModel, block: BtBlock, index: number, code: string): BtAccess[] {
  const out: BtAccess[] = [];
  const body = code.slice(block.bodyStart, block.bodyEnd);
  const vars = variableTypes(body);
  const range = (a: number, b: number): Range => ({ start: positionAt(model, a), end: positionAt(model, b) });
  for (const m of body.matchAll(ROOT)) {
    let root: BtRoot | undefined;
    if (m[1]) root = parseWrittenType(m[1]) && { kind: 'type', type: parseWrittenType(m[1])! };
    else if (m[2]) root = { kind: 'type', type: TASK };
    else if (m[3]) root = { kind: 'arg', name: m[3] };
    else if (m[4]) {
      const decl = (vars.get(m[4]) ?? []).filter((d) => d.at < m.index!).pop();
      if (decl) root = { kind: 'type', type: decl.type };
    }
    if (!root) continue;
    const steps: AccessStep[] = [];
    let at = m.index! + m[0].length;
    for (let s = STEP.exec(body.slice(at)); s; s = STEP.exec(body.slice(at))) {
      // bpftrace reads through a pointer with `.` as with `->` (analysis/members.ts autoDeref).
      const nameAt = block.bodyStart + at + s[0].length - s[2].length;
      steps.push({ name: s[2], range: range(nameAt, nameAt + s[2].length), arrow: s[1] === '->' });
      at += s[0].length;
    }
    // A bare variable or argument is not a member read.
    if (!steps.length) continue;
    const start = block.bodyStart + m.index!;
    const end = block.bodyStart + at;
    out.push({ block: index, root, steps, range: range(start, end), start, end });
  }
  return out;
}

/** Every member read of every action block. */
export function btAccesses(model: BtModel): BtAccess[] {
  const code = codeOnly(model.text);
  return model.blocks.flatMap((b, i) => blockAccesses(model, b, i, code));
}
