// Conditions under which the kernel source returns a helper, as a small boolean formula over atoms
// that a program's facts (or a kernel's config) can settle. Shared by the extraction script (scripts/knowledge, which
// builds them from C) and, through the data files, by knowledge/loadability.ts (which
// evaluates them); the atom vocabulary is documented in data/knowledge/README.md.
//
// Atoms (strings):
//   config:CONFIG_X     the option is built in (`#ifdef CONFIG_X`, `defined(CONFIG_X)`)
//   configm:CONFIG_X    the option is y or m (`IS_ENABLED(CONFIG_X)`)
//   attach:BPF_X        the program's expected_attach_type is BPF_X
//   type:BPF_PROG_TYPE_X  the program's type (after resolve_prog_type) is X
//   sleepable           the program is sleepable (loaded with BPF_F_SLEEPABLE: `.s` sections)
//   priv:<text>         a privilege check (bpf_capable(), perfmon_capable(), capable(CAP_X)...)
//   locked:<reason>     kernel lockdown forbids it (security_locked_down(LOCKDOWN_X) < 0)
//   inSet:<set>         the attach target's BTF id is in the BTF_SET <set> (members listed in the data)
//   dstProg             the program attaches to another BPF program (freplace, fentry on a BPF prog)
//   unknown:<C text>    anything else; never guessed

export type Formula = boolean | string | ['and', ...Formula[]] | ['or', ...Formula[]] | ['not', Formula];

export function and(...fs: Formula[]): Formula {
  const parts: Formula[] = [];
  for (const f of fs) {
    if (f === false) return false;
    if (f === true) continue;
    for (const x of Array.isArray(f) && f[0] === 'and' ? (f.slice(1) as Formula[]) : [f]) {
      if (!parts.some((p) => same(p, x))) parts.push(x);
    }
  }
  if (parts.some((p) => parts.some((q) => isNegationOf(p, q)))) return false;
  // A program has one type and one expected attach type: `attach:A && attach:B` is false, and
  // `attach:A && !attach:B` is just `attach:A`.
  const fixed = new Map<string, string>();
  for (const p of parts) {
    const g = exclusiveGroup(p);
    if (!g) continue;
    if (fixed.has(g) && fixed.get(g) !== p) return false;
    fixed.set(g, p as string);
  }
  const kept = fixed.size ? parts.filter((p) => {
    if (!Array.isArray(p) || p[0] !== 'not') return true;
    const g = exclusiveGroup(p[1] as Formula);
    return !g || !fixed.has(g);
  }) : parts;
  if (!kept.length) return true;
  return kept.length === 1 ? kept[0] : ['and', ...kept];
}

/** `attach` for `attach:X`, `type` for `type:X`: atoms of which at most one holds. */
function exclusiveGroup(f: Formula): string | undefined {
  return typeof f === 'string' ? /^(attach|type):/.exec(f)?.[1] : undefined;
}

export function or(...fs: Formula[]): Formula {
  const parts: Formula[] = [];
  for (const f of fs) {
    if (f === true) return true;
    if (f === false) continue;
    for (const x of Array.isArray(f) && f[0] === 'or' ? (f.slice(1) as Formula[]) : [f]) {
      if (!parts.some((p) => same(p, x))) parts.push(x);
    }
  }
  if (parts.some((p) => parts.some((q) => isNegationOf(p, q)))) return true;
  if (!parts.length) return false;
  return parts.length === 1 ? parts[0] : ['or', ...parts];
}

export function not(f: Formula): Formula {
  if (typeof f === 'boolean') return !f;
  if (Array.isArray(f) && f[0] === 'not') return f[1] as Formula;
  return ['not', f];
}

function same(a: Formula, b: Formula): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isNegationOf(a: Formula, b: Formula): boolean {
  return Array.isArray(a) && a[0] === 'not' && same(a[1] as Formula, b);
}

/** A literal: an atom or its negation. A term: literals and-ed. */
type Term = Map<string, boolean>;

/** The formula as a disjunction of terms (negations pushed to the atoms); undefined when the
 *  expansion would exceed `limit` terms. */
function toDnf(f: Formula, limit: number): Term[] | undefined {
  const go = (g: Formula, neg: boolean): Term[] | undefined => {
    if (typeof g === 'boolean') return g !== neg ? [new Map()] : [];
    if (typeof g === 'string') return [new Map([[g, !neg]])];
    // (normaliseTerm runs on every combined term below)
    const [op, ...rest] = g;
    if (op === 'not') return go(rest[0] as Formula, !neg);
    const isAnd = (op === 'and') !== neg;
    const parts = (rest as Formula[]).map((x) => go(x, neg));
    if (parts.some((p) => p === undefined)) return undefined;
    if (!isAnd) return (parts as Term[][]).flat();
    let acc: Term[] = [new Map()];
    for (const p of parts as Term[][]) {
      const next: Term[] = [];
      for (const a of acc) {
        for (const b of p) {
          const t = new Map(a);
          let ok = true;
          for (const [k, v] of b) {
            if (t.has(k) && t.get(k) !== v) { ok = false; break; }
            t.set(k, v);
          }
          if (ok) ok = normaliseTerm(t);
          if (ok) next.push(t);
          if (next.length > limit) return undefined;
        }
      }
      acc = next;
    }
    return acc;
  };
  return go(f, false);
}

/** Applies the one-value rule of attach/type atoms to a term; false when the term is impossible. */
function normaliseTerm(t: Term): boolean {
  const fixed = new Map<string, string>();
  for (const [k, v] of t) {
    const g = v ? exclusiveGroup(k) : undefined;
    if (!g) continue;
    if (fixed.has(g) && fixed.get(g) !== k) return false;
    fixed.set(g, k);
  }
  for (const [k, v] of [...t]) {
    const g = exclusiveGroup(k);
    if (!v && g && fixed.has(g)) t.delete(k);
  }
  return true;
}

function subsumes(a: Term, b: Term): boolean {
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** An equivalent, smaller formula: expanded to terms, then absorption (`A || (A && B)` → `A`)
 *  and merging (`(A && X) || (A && !X)` → `A`) until nothing changes. Formulas whose expansion
 *  is too large are returned as they are. */
export function simplify(f: Formula, limit = 2000): Formula {
  let terms = toDnf(f, limit);
  if (!terms) return f;
  for (let changed = true; changed;) {
    changed = false;
    // Absorption.
    const kept: Term[] = [];
    for (const t of terms) {
      if (kept.some((k) => subsumes(k, t))) { changed = true; continue; }
      for (let i = kept.length - 1; i >= 0; i--) if (subsumes(t, kept[i])) { kept.splice(i, 1); changed = true; }
      kept.push(t);
    }
    terms = kept;
    // Merging on one complementary literal.
    outer: for (let i = 0; i < terms.length; i++) {
      for (let j = i + 1; j < terms.length; j++) {
        const a = terms[i], b = terms[j];
        if (a.size !== b.size) continue;
        let diff: string | undefined;
        let ok = true;
        for (const [k, v] of a) {
          if (!b.has(k)) { ok = false; break; }
          if (b.get(k) !== v) {
            if (diff !== undefined) { ok = false; break; }
            diff = k;
          }
        }
        if (ok && diff !== undefined) {
          const merged = new Map(a);
          merged.delete(diff);
          terms.splice(j, 1);
          terms[i] = merged;
          changed = true;
          break outer;
        }
      }
    }
  }
  const lit = (k: string, v: boolean): Formula => (v ? k : not(k));
  return or(...terms.map((t) => and(...[...t].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => lit(k, v)))));
}

/** Every atom in a formula. */
export function atoms(f: Formula, out = new Set<string>()): Set<string> {
  if (typeof f === 'string') out.add(f);
  else if (Array.isArray(f)) for (const x of f.slice(1) as Formula[]) atoms(x, out);
  return out;
}

/** Three-valued evaluation: `value(atom)` answers true, false or undefined (cannot tell). */
export function evaluate(f: Formula, value: (atom: string) => boolean | undefined): boolean | undefined {
  if (typeof f === 'boolean') return f;
  if (typeof f === 'string') return value(f);
  const [op, ...rest] = f;
  if (op === 'not') {
    const v = evaluate(rest[0] as Formula, value);
    return v === undefined ? undefined : !v;
  }
  let unknown = false;
  for (const x of rest as Formula[]) {
    const v = evaluate(x, value);
    if (v === undefined) unknown = true;
    else if (op === 'and' && !v) return false;
    else if (op === 'or' && v) return true;
  }
  return unknown ? undefined : op === 'and';
}

/** A formula with some atoms replaced by known values, simplified. */
export function substitute(f: Formula, value: (atom: string) => boolean | undefined): Formula {
  if (typeof f === 'boolean') return f;
  if (typeof f === 'string') return value(f) ?? f;
  const [op, ...rest] = f;
  const parts = (rest as Formula[]).map((x) => substitute(x, value));
  if (op === 'not') return not(parts[0]);
  return op === 'and' ? and(...parts) : or(...parts);
}

/** C-like text for messages: `attach:BPF_TRACE_ITER && !sleepable`. */
export function formulaText(f: Formula): string {
  if (typeof f === 'boolean') return String(f);
  if (typeof f === 'string') return f;
  const [op, ...rest] = f;
  if (op === 'not') {
    const inner = rest[0] as Formula;
    return typeof inner === 'string' ? `!${inner}` : `!(${formulaText(inner)})`;
  }
  const joined = (rest as Formula[]).map((x) => (Array.isArray(x) && x[0] !== 'not' ? `(${formulaText(x)})` : formulaText(x)));
  return joined.join(op === 'and' ? ' && ' : ' || ');
}
