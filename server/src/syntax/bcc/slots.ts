// Where a cursor is, in bcc terms, while the user types: inside the string of an attach call's
// argument (`attach_kprobe(event="blk_|`), of a kernel check (`get_kprobe_functions(b"tcp_|`,
// `tracepoint_exists("block", "|`), or in the C text at a probe macro's hook or a `kprobe__` name.
// Read from the text before the cursor, since half-typed calls are not well-formed Python: the
// tree of such a line is an error node. Completion uses it; nothing here knows about kernels.

import { ATTACH_SIGNATURES } from './interp';

export interface PythonSlot {
  /** The attach method or kernel check (`attach_kprobe`, `get_kprobe_functions`, `tracepoint_exists`). */
  method: string;
  /** bcc's parameter name (`event`, `event_re`, `tp`, `fn_name`), or for the checks the argument's
   *  position (`0`, `1`). */
  param: string;
  /** The string's text from its opening quote to the cursor, as written. */
  prefix: string;
  /** Document offset of the first character inside the quotes. */
  contentStart: number;
  /** The other string arguments of a check written before this one (`["block"]`). */
  before: string[];
}

const CALL = /\b(attach_kprobe|attach_kretprobe|attach_tracepoint|attach_raw_tracepoint|attach_kfunc|attach_kretfunc|attach_lsm|attach_fmod_ret|get_kprobe_functions|tracepoint_exists|ksymname|get_syscall_fnname)\s*\(/g;

/** The Python string slot at `offset`, if the cursor is inside an open string argument. */
export function pythonSlotAt(text: string, offset: number): PythonSlot | undefined {
  const from = Math.max(0, offset - 2000);
  const window = text.slice(from, offset);
  let call: RegExpExecArray | undefined;
  CALL.lastIndex = 0;
  for (let m = CALL.exec(window); m; m = CALL.exec(window)) call = m;
  if (!call) return undefined;
  let i = call.index + call[0].length;
  let depth = 0;
  let argIndex = 0;
  let keyword: string | undefined;
  const strings: string[] = [];
  let argStart = i;
  while (i < window.length) {
    const c = window[i];
    if (c === '#') { const nl = window.indexOf('\n', i); if (nl < 0) return undefined; i = nl + 1; continue; }
    const quote = /^([rRbBuU]{0,2})("""|'''|"|')/.exec(window.slice(i));
    if (quote && (quote[1] === '' || !/\w/.test(window[i - 1] ?? ''))) {
      const q = quote[2];
      const start = i + quote[0].length;
      const close = findClose(window, start, q, /r/i.test(quote[1]));
      if (close < 0) {
        if (depth !== 0) return undefined;
        const kw = keyword ?? /(\w+)\s*=\s*$/.exec(window.slice(argStart, i))?.[1];
        const method = call[1];
        const sig = ATTACH_SIGNATURES[method];
        const param = kw ?? (sig ? sig[argIndex] : String(argIndex));
        if (!param) return undefined;
        return { method, param, prefix: window.slice(start), contentStart: from + start, before: strings };
      }
      if (depth === 0) strings.push(window.slice(start, close));
      i = close + q.length;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) return undefined;
      depth--;
    } else if (c === ',' && depth === 0) {
      argIndex++;
      keyword = undefined;
      argStart = i + 1;
    } else if (c === '=' && depth === 0 && window[i + 1] !== '=') {
      keyword = /(\w+)\s*$/.exec(window.slice(argStart, i))?.[1];
    }
    i++;
  }
  return undefined;
}

function findClose(s: string, from: number, q: string, raw: boolean): number {
  for (let i = from; i < s.length; i++) {
    if (s[i] === '\\' && !raw) { i++; continue; }
    if (raw && s[i] === '\\') { i++; continue; }
    if (q.length === 1 && s[i] === '\n') return -1;
    if (s.startsWith(q, i)) return i;
  }
  return -1;
}

export interface CSlot {
  /** `macro`: a probe macro's hook argument; `name`: a function name after an autoload prefix. */
  kind: 'macro' | 'name';
  /** The macro (`TRACEPOINT_PROBE`) or the prefix (`kprobe__`). */
  head: string;
  /** Which hook argument of the macro (0: the first). */
  arg: number;
  /** The hook arguments before this one. */
  before: string[];
  /** What is typed of this argument. */
  prefix: string;
}

const MACRO_HEAD = /\b(TRACEPOINT_PROBE|RAW_TRACEPOINT_PROBE|KFUNC_PROBE|KRETFUNC_PROBE|LSM_PROBE|KMOD_RET|MODULE_KFUNC_PROBE|MODULE_KRETFUNC_PROBE)\s*\(([\w\s,]*)$/;
const NAME_HEAD = /\b(kprobe__|kretprobe__|tracepoint__|raw_tracepoint__|kfunc__|kretfunc__|lsm__)(\w*)$/;

/** The C slot at the end of `before` (the C text up to the cursor). */
export function cSlotAt(before: string): CSlot | undefined {
  const line = before.slice(before.lastIndexOf('\n') + 1);
  const m = MACRO_HEAD.exec(line);
  if (m) {
    const parts = m[2].split(',').map((p) => p.trim());
    return { kind: 'macro', head: m[1], arg: parts.length - 1, before: parts.slice(0, -1), prefix: parts[parts.length - 1] };
  }
  const n = NAME_HEAD.exec(line);
  if (n) return { kind: 'name', head: n[1], arg: 0, before: [], prefix: n[2] };
  return undefined;
}
