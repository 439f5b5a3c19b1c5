// C type spelling and comparison: the one normaliser. The same kernel type is spelt differently by
// each source: DWARF and DepSurf say `long int`, `long unsigned int`, `struct rq * *`; BTF, tracefs
// and source say `long`, `unsigned long`, `struct rq **`; handlers add `const` and `__user`. Types
// are stored and shown in the display spelling (`struct request **`, `char * const`), and compared
// by the compact key (integer words canonical, no space around `*`, `(`, `[`, `,`), so that a
// spelling is never reported as a change. Imports nothing of ours.

export interface CTypeSpelling {
  /** `canonical`: one spelling per integer type (`long unsigned int` → `unsigned long`). */
  integers?: 'keep' | 'canonical';
  /** `drop`: qualifiers and sparse annotations go (they do not change what a probe reads). */
  qualifiers?: 'keep' | 'drop';
  /** `display`: `struct rq **`, `void (*)(int, long)`; `compact`: `struct rq**`, for comparing. */
  spacing?: 'display' | 'compact';
}

const QUALIFIERS = /\b(?:const|volatile|restrict|__restrict|__user|__rcu|__iomem|__percpu|__force|__kernel)\b/g;

const INTEGER_RUN = /\b(?:(?:signed|unsigned|short|long|int|char)\s+)*(?:signed|unsigned|short|long|int|char)\b/g;

/** One spelling per C integer type: DWARF says `long int`, `long unsigned int`; source and
 *  tracefs say `long`, `unsigned long`. `char`, `signed char` and `unsigned char` stay distinct. */
function canonicalInteger(words: string): string {
  const w = words.split(/\s+/);
  const longs = w.filter((x) => x === 'long').length;
  const sign = w.includes('unsigned') ? 'unsigned ' : '';
  if (w.includes('char')) return `${sign || (w.includes('signed') ? 'signed ' : '')}char`;
  const base = w.includes('short') ? 'short' : longs >= 2 ? 'long long' : longs === 1 ? 'long' : 'int';
  return `${sign}${base}`;
}

/** The one normaliser of C type text. Default: the display spelling with the source's words. */
export function normalizeCType(type: string, spelling: CTypeSpelling = {}): string {
  let t = type;
  if (spelling.qualifiers === 'drop') t = t.replace(QUALIFIERS, ' ');
  if (spelling.integers === 'canonical') t = t.replace(INTEGER_RUN, canonicalInteger);
  t = t.replace(/\s+/g, ' ').trim();
  if (spelling.spacing === 'compact') return t.replace(/\s*([*()[\],%])\s*/g, '$1');
  // Join runs of stars, then put exactly one space before a run that follows a word.
  t = t.replace(/\*\s+(?=\*)/g, '*');
  t = t.replace(/([A-Za-z0-9_\]])\s*(\*+)/g, '$1 $2');
  return t.replace(/\(\s+/g, '(').replace(/\s+\)/g, ')').replace(/\s*,\s*/g, ', ');
}

/** The comparison key of a type: integer words canonical, compact spacing; qualifiers kept unless
 *  `dropQualifiers` (`const char *` → `const char*`). */
export function cTypeKey(type: string, options: { dropQualifiers?: boolean } = {}): string {
  return normalizeCType(type, { integers: 'canonical', spacing: 'compact', qualifiers: options.dropQualifiers ? 'drop' : 'keep' });
}

/** Whether two spellings name the same type for reading it (qualifiers ignored). */
export function sameCType(a: string, b: string): boolean {
  return cTypeKey(a, { dropQualifiers: true }) === cTypeKey(b, { dropQualifiers: true });
}
