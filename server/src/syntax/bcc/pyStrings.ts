// Python string literals as BCC tools write them, decoded with a map from every decoded character
// back to the source: `"%d\\n"` holds four characters of C, and a diagnostic on the `\n` must land
// on the two source characters `\\n`. Handles prefixes (r, b, u, f and their combinations), every
// escape of the Python reference (`\\`, `\'`, `\"`, `\a`..`\v`, octal, `\x`, `\u`, `\U`, `\N{...}`,
// backslash-newline continuations) and the doubled braces of f-strings. Unknown escapes keep their
// backslash, as Python does. Offsets are UTF-16 indexes into the document, as tree-sitter reports.

/** A decoded run of text: `offsets[i]` is the source offset where decoded character `i` is written;
 *  `offsets[text.length]` is the end of the run in the source. */
export interface Decoded {
  text: string;
  offsets: number[];
}

export interface LiteralPrefix {
  raw: boolean;
  bytes: boolean;
  format: boolean;
}

/** Reads the prefix letters of a literal's opening (`rb"""` → raw bytes). */
export function literalPrefix(opening: string): LiteralPrefix {
  const letters = /^[A-Za-z]*/.exec(opening)?.[0].toLowerCase() ?? '';
  return { raw: letters.includes('r'), bytes: letters.includes('b'), format: letters.includes('f') };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

const HEX = /^[0-9A-Fa-f]+$/;

/** Decodes the source text `source.slice(start, end)` (the inside of a literal, without quotes).
 *  `format`: `{{`/`}}` stand for one brace (only the content between interpolations is passed). */
export function decodeLiteral(source: string, start: number, end: number, prefix: LiteralPrefix): Decoded {
  const out: string[] = [];
  const offsets: number[] = [];
  const push = (s: string, at: number) => {
    for (const ch of s) {
      // A character outside the BMP is two UTF-16 units; both map to the escape's start.
      for (let k = 0; k < ch.length; k++) {
        out.push(ch[k]);
        offsets.push(at);
      }
    }
  };
  let i = start;
  while (i < end) {
    const c = source[i];
    if (prefix.format && (c === '{' || c === '}') && source[i + 1] === c && i + 1 < end) {
      push(c, i);
      i += 2;
      continue;
    }
    if (c !== '\\' || prefix.raw) {
      out.push(c);
      offsets.push(i);
      i++;
      continue;
    }
    const next = source[i + 1];
    if (i + 1 >= end) {
      push('\\', i);
      i++;
      continue;
    }
    if (next === '\n') { i += 2; continue; }
    if (next === '\r') { i += source[i + 2] === '\n' ? 3 : 2; continue; }
    if (next in SIMPLE_ESCAPES) {
      push(SIMPLE_ESCAPES[next], i);
      i += 2;
      continue;
    }
    if (next >= '0' && next <= '7') {
      let j = i + 1;
      while (j < end && j < i + 4 && source[j] >= '0' && source[j] <= '7') j++;
      push(String.fromCodePoint(parseInt(source.slice(i + 1, j), 8)), i);
      i = j;
      continue;
    }
    const width = next === 'x' ? 2 : !prefix.bytes && next === 'u' ? 4 : !prefix.bytes && next === 'U' ? 8 : 0;
    if (width) {
      const digits = source.slice(i + 2, i + 2 + width);
      if (digits.length === width && HEX.test(digits) && i + 2 + width <= end) {
        const cp = parseInt(digits, 16);
        push(cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd', i);
        i += 2 + width;
        continue;
      }
    }
    if (!prefix.bytes && next === 'N' && source[i + 2] === '{') {
      const close = source.indexOf('}', i + 3);
      if (close > 0 && close < end) {
        // Character names are not resolved: one placeholder character stands for the named one.
        push('\ufffd', i);
        i = close + 1;
        continue;
      }
    }
    // Not an escape Python knows: the backslash stays (a SyntaxWarning in new Pythons).
    push('\\', i);
    i++;
  }
  offsets.push(end);
  return { text: out.join(''), offsets };
}
