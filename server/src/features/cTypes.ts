// C type spellings as the features compare them. The same kernel type is spelt differently by
// each source: DWARF and DepSurf say `long int`, `long unsigned int`, `short int`; BTF, tracefs and
// source say `long`, `unsigned long`, `short`. Every comparison of parameter, argument and record
// field types in the features goes through here, so that a spelling is never reported as a change.
// The integer canonicalisation itself is the atlas's normalizeType (atlas/assess.ts), so that the
// atlas's own cross-kernel comparison and the features agree.

import { normalizeType } from '../atlas/assess';

const QUALIFIERS = /\b(?:const|volatile|restrict|__restrict|__user|__rcu|__iomem|__percpu|__force|__kernel)\b/g;

/** One spelling per type: integer words in canonical order (`long unsigned int` → `unsigned
 *  long`), no space around `*`, `(`, `[`, `,`. Qualifiers are kept unless `dropQualifiers`
 *  (they do not change what a probe reads). */
export function canonicalCType(type: string, options: { dropQualifiers?: boolean } = {}): string {
  return normalizeType(options.dropQualifiers ? type.replace(QUALIFIERS, ' ') : type);
}

/** Whether two spellings name the same type for reading it (qualifiers ignored). */
export function sameCType(a: string, b: string): boolean {
  return canonicalCType(a, { dropQualifiers: true }) === canonicalCType(b, { dropQualifiers: true });
}
