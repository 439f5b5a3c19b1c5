// Text that came from a file (an atlas someone else built, a kernel package) on its way to a
// terminal or a markdown renderer. One definition of the characters that must not pass raw:
// C0 controls other than tab and newline (ESC starts terminal escape sequences, CR overwrites a
// line), DEL, the C1 controls U+0080-U+009F (CSI, OSC and friends, which some terminals obey in
// UTF-8), the Unicode line and paragraph separators, and the bidirectional overrides and
// isolates that make a line display in another order than it reads ("Trojan Source"). No real
// kernel name, type, release or print format holds one (checked over both bundled atlases).

const UNSAFE_SOURCE = '[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]';
const UNSAFE = new RegExp(UNSAFE_SOURCE);
const UNSAFE_ALL = new RegExp(UNSAFE_SOURCE, 'g');

/** Also the backtick: it ends a markdown code span, where hovers show names and types. */
const UNSAFE_IN_NAMES = new RegExp(`${UNSAFE_SOURCE}|\``, 'g');
const UNSAFE_IN_NAMES_TEST = new RegExp(`${UNSAFE_SOURCE}|\``);

/** True when the text holds a character a terminal or a renderer would act on. */
export function hasUnsafeText(text: string): boolean {
  return UNSAFE.test(text);
}

/** For the terminal: every unsafe character written as a visible `\uXXXX` escape. Inside a JSON
 *  string that is the same character (so `--json` output stays valid and means the same), and
 *  JSON.stringify already writes C0 controls that way. */
export function escapeUnsafeText(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : text;
}

/** For strings read from an atlas file (names, types, print formats): unsafe characters and
 *  backticks replaced by U+FFFD, so every sink, markdown code spans included, gets text that
 *  cannot act on it. Real kernel strings pass unchanged (they hold tabs and newlines in print
 *  formats, never a control character or a backtick). */
export function sanitiseFileText(text: string): string {
  return UNSAFE_IN_NAMES_TEST.test(text) ? text.replace(UNSAFE_IN_NAMES, '\ufffd') : text;
}
