// Reads C prototypes as text (`long int do_sys_open(int dfd, const char * filename, ...)`,
// DepSurf's rendering of pahole BTF) into model.ts Proto/Param, with the `%` convention for names
// inside types (`int (*%)(void *)`, `char %[16]`). Types get the display spelling of
// model/cTypes.ts, so prototypes from different sources compare and print the same way.

import type { Param, Proto } from './model';
import { normalizeCType } from '../model/cTypes';

/** Split at commas that are not nested in (), [] or {}. */
export function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

const TYPE_WORDS = new Set([
  'int', 'char', 'long', 'short', 'signed', 'unsigned', 'void', '_Bool', 'bool', 'float', 'double',
  'const', 'volatile', 'restrict', 'struct', 'union', 'enum',
]);

/** Put the `%` name marker into a type written name-last (DepSurf/BTF style):
 *  `int (*)(void *)` → `int (*%)(void *)`, `char[16]` → `char %[16]`, `u32[2] *` → `u32 (*%)[2]`. */
export function markName(type: string): string {
  const t = normalizeCType(type);
  if (/\((\*+)\)/.test(t)) return t.replace(/\((\*+)\)/, '($1%)');
  const arr = /^(.*?)\s*((?:\[\d*\])+)\s*(\**)$/.exec(t);
  if (arr) {
    const [, base, dims, stars] = arr;
    return stars ? `${base} (${stars}%)${dims}` : `${base} %${dims}`;
  }
  return t;
}

/** One parameter written `TYPE NAME` (or `TYPE` alone when unnamed). */
export function parseParam(text: string): Param {
  const t = text.trim();
  const m = /^(.*?[^\sA-Za-z0-9_]|.*\s)\s*([A-Za-z_][A-Za-z0-9_]*)$/.exec(t);
  if (m) {
    const type = m[1].trim();
    const name = m[2];
    const lastTypeWord = /([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(type)?.[1];
    const unnamed = TYPE_WORDS.has(name) || lastTypeWord === 'struct' || lastTypeWord === 'union' || lastTypeWord === 'enum' || !type;
    if (!unnamed) return { name, type: markName(type) };
  }
  return { name: '', type: markName(t) };
}

/** Parse `RET NAME(PARAMS)` for a known function name. Undefined when the text does not have
 *  that shape. */
export function parseCProto(text: string, name: string): Proto | undefined {
  const t = text.trim().replace(/;$/, '');
  let at = -1;
  for (let i = t.indexOf(`${name}(`); i >= 0; i = t.indexOf(`${name}(`, i + 1)) {
    const before = i === 0 ? ' ' : t[i - 1];
    if (!/[A-Za-z0-9_]/.test(before)) {
      at = i;
      break;
    }
  }
  if (at < 0 || !t.endsWith(')')) return undefined;
  const ret = normalizeCType(t.slice(0, at));
  if (!ret) return undefined;
  const inner = t.slice(at + name.length + 1, -1).trim();
  const proto: Proto = { ret, params: [] };
  if (!inner || inner === 'void') return proto;
  for (const part of splitTopLevel(inner)) {
    if (part === '...') proto.variadic = true;
    else proto.params.push(parseParam(part));
  }
  return proto;
}
