// A small TextMate tokenizer for testing our grammars with node's RegExp (no new dependency):
// match / begin-end rules, captures, name and contentName, includes (#repo, $self), line-by-line
// state, earliest match wins and the end pattern wins ties, as in vscode-textmate. Oniguruma-only
// syntax is translated where our grammars use it: \G (anchor at the previous match end) and \A.
// It does not implement injections, backreferences in end patterns or while rules (unused here).

import fs from 'node:fs';

export interface RawRule {
  include?: string;
  match?: string;
  begin?: string;
  end?: string;
  name?: string;
  contentName?: string;
  captures?: Record<string, { name?: string }>;
  beginCaptures?: Record<string, { name?: string }>;
  endCaptures?: Record<string, { name?: string }>;
  patterns?: RawRule[];
  repository?: Record<string, RawRule>;
}

export interface RawGrammar extends RawRule {
  scopeName: string;
  patterns: RawRule[];
  repository?: Record<string, RawRule>;
}

interface Compiled {
  re: RegExp;
  /** The pattern started with \G: it only matches where the previous match ended. */
  anchored: boolean;
}

/** Translates an Oniguruma pattern to a JS RegExp (throws with the pattern when it cannot). */
export function compileOniguruma(source: string): Compiled {
  let anchored = false;
  let js = source;
  if (js.startsWith('\\G')) {
    anchored = true;
    js = js.slice(2);
  }
  js = js.replace(/\\A/g, '^');
  if (/\\G|\\h|\\H|\(\?>|\(\?[imx]+[:)]|[*+?}]\+/.test(js)) throw new Error(`unsupported Oniguruma syntax in /${source}/`);
  try {
    return { re: new RegExp(js, 'dg'), anchored };
  } catch (err) {
    throw new Error(`/${source}/ does not compile as a JS RegExp: ${(err as Error).message}`);
  }
}

interface Frame {
  rule: RawRule;
  end: Compiled;
  /** Scopes of the frame's begin/end delimiters. */
  scopes: string[];
  /** Scopes inside (adds contentName). */
  inner: string[];
}

export class Tokenizer {
  private readonly compiled = new Map<string, Compiled>();

  constructor(readonly grammar: RawGrammar) {}

  static fromFile(file: string): Tokenizer {
    return new Tokenizer(JSON.parse(fs.readFileSync(file, 'utf8')) as RawGrammar);
  }

  private regex(source: string): Compiled {
    let c = this.compiled.get(source);
    if (!c) {
      c = compileOniguruma(source);
      this.compiled.set(source, c);
    }
    return c;
  }

  /** Rules with match/begin reachable from `patterns`, includes expanded, in order. */
  private flatten(patterns: RawRule[] | undefined, seen = new Set<RawRule>()): RawRule[] {
    const out: RawRule[] = [];
    for (const p of patterns ?? []) {
      if (p.include) {
        const target = this.resolve(p.include);
        if (seen.has(target)) continue;
        seen.add(target);
        out.push(...(target.match || target.begin ? [target] : this.flatten(target.patterns, seen)));
        seen.delete(target);
      } else if (p.match || p.begin) {
        out.push(p);
      } else if (p.patterns) {
        out.push(...this.flatten(p.patterns, seen));
      }
    }
    return out;
  }

  private resolve(include: string): RawRule {
    if (include === '$self' || include === '$base') return { patterns: this.grammar.patterns };
    if (include.startsWith('#')) {
      const rule = this.grammar.repository?.[include.slice(1)];
      if (!rule) throw new Error(`include ${include} not found in the repository`);
      return rule;
    }
    throw new Error(`external include ${include} is not supported`);
  }

  /** Every regex of the grammar, for a compile check. */
  allPatterns(): string[] {
    const out: string[] = [];
    const walk = (r: RawRule) => {
      for (const s of [r.match, r.begin, r.end]) if (s) out.push(s);
      for (const p of r.patterns ?? []) walk(p);
      for (const p of Object.values(r.repository ?? {})) walk(p);
    };
    walk(this.grammar);
    return out;
  }

  /** Scopes of every character of every line. */
  tokenize(text: string): string[][][] {
    const stack: Frame[] = [];
    const root = [this.grammar.scopeName];
    return text.split('\n').map((line) => {
      const chars: string[][] = Array.from({ length: line.length }, () => []);
      const paint = (from: number, to: number, scopes: string[]) => {
        for (let i = from; i < to && i < line.length; i++) chars[i] = scopes;
      };
      const paintCaptures = (m: RegExpExecArray, base: string[], caps: RawRule['captures']) => {
        const start = m.index;
        paint(start, start + m[0].length, base);
        if (!caps || !m.indices) return;
        const indices = m.indices;
        for (const [key, cap] of Object.entries(caps).sort((a, b) => Number(a[0]) - Number(b[0]))) {
          const span = indices[Number(key)];
          if (!span || !cap.name) continue;
          for (let i = span[0]; i < span[1]; i++) chars[i] = [...chars[i], cap.name];
        }
      };
      let pos = 0;
      let anchor = 0;
      let guard = 0;
      while (pos <= line.length) {
        if (++guard > 10_000) throw new Error(`tokenizer loops on: ${line}`);
        const frame = stack[stack.length - 1];
        const scopes = frame ? frame.inner : root;
        const rules = this.flatten(frame ? frame.rule.patterns : this.grammar.patterns);
        let best: { m: RegExpExecArray; rule?: RawRule } | undefined;
        const consider = (c: Compiled, rule?: RawRule) => {
          c.re.lastIndex = pos;
          const m = c.re.exec(line);
          if (!m || (c.anchored && m.index !== anchor)) return;
          if (!best || m.index < best.m.index) best = { m, rule };
        };
        if (frame) consider(frame.end);
        for (const rule of rules) consider(this.regex((rule.match ?? rule.begin)!), rule);
        if (!best) {
          paint(pos, line.length, scopes);
          break;
        }
        const { m, rule } = best;
        paint(pos, m.index, scopes);
        const after = m.index + m[0].length;
        if (!rule) {
          paintCaptures(m, frame!.scopes, frame!.rule.endCaptures ?? frame!.rule.captures);
          stack.pop();
        } else if (rule.match) {
          paintCaptures(m, rule.name ? [...scopes, rule.name] : scopes, rule.captures);
          if (after === pos) {
            // A zero-width match that changes nothing: step over one character.
            paint(pos, pos + 1, scopes);
            pos++;
            anchor = pos;
            continue;
          }
        } else {
          const outer = rule.name ? [...scopes, rule.name] : scopes;
          paintCaptures(m, outer, rule.beginCaptures ?? rule.captures);
          stack.push({
            rule,
            end: this.regex(rule.end!),
            scopes: outer,
            inner: rule.contentName ? [...outer, rule.contentName] : outer,
          });
        }
        pos = after;
        anchor = after;
        if (pos >= line.length && !stack.length) break;
        if (pos >= line.length) {
          // Let end patterns that match at end of line ($, lookaheads) close frames.
          const top = stack[stack.length - 1];
          top.end.re.lastIndex = pos;
          const endMatch = top.end.re.exec(line);
          if (endMatch && endMatch.index === pos && endMatch[0].length === 0) continue;
          break;
        }
      }
      return chars;
    });
  }
}

/** Scopes shared by every character of `needle` (its `occurrence`-th appearance) on a tokenized
 *  line: a token highlighted only in part loses the scope, so a partial highlight fails the test. */
export function scopesOf(lines: string[], tokens: string[][][], lineIndex: number, needle: string, occurrence = 0): string[] {
  const line = lines[lineIndex];
  let at = -1;
  for (let i = 0; i <= occurrence; i++) {
    at = line.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`"${needle}" not found on line ${lineIndex}: ${line}`);
  }
  let shared = tokens[lineIndex][at];
  for (let i = at + 1; i < at + needle.length; i++) {
    const here = new Set(tokens[lineIndex][i]);
    shared = shared.filter((s) => here.has(s));
  }
  return shared;
}
