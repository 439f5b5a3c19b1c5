// The preprocessor conditions the knowledge extraction needs: `#if` expressions over CONFIG_
// options into Formulas, and a line walker that knows, for every line of a file, the conjunction of
// the `#if`/`#ifdef`/`#else` branches it sits in. Used for the macro lists tree-sitter cannot parse
// (BTF_SET_START ... BTF_ID(func, x) ... BTF_SET_END, BPF_PROG_TYPE(...) in bpf_types.h) and, through
// ppCondition, for the #if nodes tree-sitter does parse (cEval.ts): one reading of `#if` for both.

import { type Formula, and, not, or } from '../../server/src/knowledge/formula';

/** `defined(CONFIG_X) && IS_ENABLED(CONFIG_Y) || !CONFIG_Z` (the text after `#if`) into a formula.
 *  Anything that is not a CONFIG_ test becomes an `unknown:` atom. */
export function ppCondition(text: string): Formula {
  const src = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/, '').trim();
  const tokens = src.match(/defined|IS_ENABLED|IS_BUILTIN|IS_MODULE|IS_REACHABLE|&&|\|\||[!()]|[A-Za-z_]\w*|\d+|\S/g) ?? [];
  let i = 0;
  const unknown = (): Formula => `unknown:#if ${src}`;
  const primary = (): Formula => {
    const t = tokens[i++];
    if (t === '!') return not(primary());
    if (t === '(') {
      const f = expr();
      if (tokens[i] === ')') i++;
      return f;
    }
    if (t === 'defined' || t === 'IS_ENABLED' || t === 'IS_BUILTIN' || t === 'IS_REACHABLE' || t === 'IS_MODULE') {
      const paren = tokens[i] === '(';
      if (paren) i++;
      const name = tokens[i++] ?? '';
      if (paren && tokens[i] === ')') i++;
      if (!name.startsWith('CONFIG_') || t === 'IS_MODULE') return unknown();
      return t === 'IS_ENABLED' || t === 'IS_REACHABLE' ? `configm:${name}` : `config:${name}`;
    }
    if (t && /^\d+$/.test(t)) return Number(t) !== 0;
    if (t && t.startsWith('CONFIG_')) return `config:${t}`;
    return unknown();
  };
  const conj = (): Formula => {
    let f = primary();
    while (tokens[i] === '&&') {
      i++;
      f = and(f, primary());
    }
    return f;
  };
  const expr = (): Formula => {
    let f = conj();
    while (tokens[i] === '||') {
      i++;
      f = or(f, conj());
    }
    return f;
  };
  const f = expr();
  return i === tokens.length ? f : unknown();
}

/** Calls `visit(line, guard, lineNo)` for every line that is not a preprocessor conditional,
 *  with the formula of the branches it sits in. Continuation lines (`\`) are joined first. */
export function walkLines(text: string, visit: (line: string, guard: Formula, lineNo: number) => void): void {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  // Each frame: the formula of this #if's earlier branches (negated later) and of the current one.
  const stack: { taken: Formula; current: Formula }[] = [];
  const guard = () => and(...stack.map((f) => f.current));
  lines.forEach((line, n) => {
    const m = /^\s*#\s*(ifdef|ifndef|if|elif|else|endif)\b(.*)$/.exec(line);
    if (!m) {
      visit(line, guard(), n + 1);
      return;
    }
    const [, kw, rest] = m;
    const arg = rest.replace(/\/\*.*?\*\//g, '').replace(/\/\/.*$/, '').trim();
    if (kw === 'ifdef' || kw === 'ifndef') {
      // A header's include guard (`#ifndef _LINUX_BPF_H` then `#define _LINUX_BPF_H`) holds.
      const next = lines.slice(n + 1).find((l) => l.trim());
      if (kw === 'ifndef' && next && new RegExp(`^\\s*#\\s*define\\s+${arg}\\b`).test(next)) {
        stack.push({ taken: true, current: true });
        return;
      }
      const f: Formula = arg.startsWith('CONFIG_') ? `config:${arg}` : `unknown:defined(${arg})`;
      const c = kw === 'ifdef' ? f : not(f);
      stack.push({ taken: c, current: c });
    } else if (kw === 'if') {
      const c = ppCondition(arg);
      stack.push({ taken: c, current: c });
    } else if (kw === 'elif') {
      const top = stack[stack.length - 1];
      if (!top) return;
      const c = ppCondition(arg);
      top.current = and(not(top.taken), c);
      top.taken = or(top.taken, c);
    } else if (kw === 'else') {
      const top = stack[stack.length - 1];
      if (top) top.current = not(top.taken);
    } else {
      stack.pop();
    }
  });
}
