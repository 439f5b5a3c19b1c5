// Python `re` patterns (bcc's `event_re=`, `tp_re=`, `sym_re=`) as JavaScript RegExps, with the
// match bcc does: `re.fullmatch(event_re, name)` over each kernel symbol since bcc 0.26 (PR #4426;
// a prefix `re.match` before), `re.match(tp_re, "system:event")` for tracepoints. The two regex
// dialects agree on what tools write (`^finish_task_switch$|^finish_task_switch\.isra\.\d$`); the
// differences handled here: named groups `(?P<n>...)`/`(?P=n)`, `\A` and `\Z`, leading inline
// flags `(?i)` `(?s)` `(?m)` `(?x)`, and Python's possessive quantifiers and atomic groups (3.11),
// which JavaScript lacks: those patterns are refused with a reason rather than read differently.

export interface CompiledPattern {
  /** Matches the whole name (fullmatch) or its beginning (match). */
  test(name: string): boolean;
  /** The JavaScript source used. */
  source: string;
}

export type PatternResult = { ok: true; pattern: CompiledPattern } | { ok: false; error: string };

/** Compiles a Python pattern. `mode`: `fullmatch` (kprobe event_re) or `match` (tp_re). */
export function compilePythonRegex(pattern: string, mode: 'fullmatch' | 'match' = 'fullmatch'): PatternResult {
  let src = pattern;
  let flags = '';
  // Leading global flags: (?aiLmsux)
  const lead = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]) {
      if (f === 'i' && !flags.includes('i')) flags += 'i';
      else if (f === 's' && !flags.includes('s')) flags += 's';
      else if (f === 'm' && !flags.includes('m')) flags += 'm';
      else if (f === 'x') return { ok: false, error: 'verbose patterns (?x) are not supported' };
      else if (f === 'L') return { ok: false, error: 'locale patterns (?L) are not supported' };
    }
    src = src.slice(lead[0].length);
  }
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) return { ok: false, error: 'the pattern ends with a lone backslash' };
      if (n === 'A') { out += '^'; i++; continue; }
      if (n === 'Z') { out += '$'; i++; continue; }
      out += c + n;
      i++;
      continue;
    }
    if (c === '[') {
      // Copy a character class as is (escapes included) up to its closing bracket.
      let j = i + 1;
      if (src[j] === '^') j++;
      if (src[j] === ']') j++;
      while (j < src.length && src[j] !== ']') j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      if (src.startsWith('(?P<', i)) { out += '(?<'; i += 3; continue; }
      const back = /^\(\?P=(\w+)\)/.exec(src.slice(i));
      if (back) { out += `\\k<${back[1]}>`; i += back[0].length - 1; continue; }
      if (src[i + 2] === '>') return { ok: false, error: 'atomic groups (?>...) are not supported' };
      if (/^\(\?[aiLmsux-]+[:)]/.test(src.slice(i))) return { ok: false, error: 'inline flags inside the pattern are not supported' };
    }
    if ((c === '+' || c === '*' || c === '?' || c === '}') && src[i + 1] === '+') {
      return { ok: false, error: 'possessive quantifiers are not supported' };
    }
    out += c;
  }
  const wrapped = mode === 'fullmatch' ? `^(?:${out})$` : `^(?:${out})`;
  try {
    const re = new RegExp(wrapped, flags);
    return { ok: true, pattern: { test: (name) => re.test(name), source: wrapped } };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message.replace(/^Invalid regular expression: /, '') : String(e) };
  }
}
