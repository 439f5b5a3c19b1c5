// Command-line arguments of every verb, read by node:util parseArgs (strict: unknown options and
// missing values are errors) rather than the two hand-written loops the verbs had. The result keeps
// the spelling the verbs test for (`--json`, `-h`), so a verb names its options once.

import { parseArgs as nodeParseArgs } from 'node:util';

/** A user error: printed as one line with the verb's usage, exit status 2. */
export class UsageError extends Error {}

export interface ParsedArgs {
  /** Flags given, by their long spelling (`--json`) or short one (`-h`) as listed. */
  flags: Set<string>;
  /** Values of the options given, each a list (options repeat), by long spelling. */
  values: Map<string, string[]>;
  positional: string[];
}

type OptionSpec = { type: 'boolean' | 'string'; multiple?: boolean; short?: string };

/** Parse `--flag`, `--opt VALUE` / `--opt=VALUE` (repeatable) and positional arguments. `flags`
 *  and `options` are long spellings (`--json`); a short one (`-h`) follows the long one it stands
 *  for, as `--help`, `-h`. */
export function parseArgs(argv: readonly string[], flags: readonly string[], options: readonly string[]): ParsedArgs {
  const spec: Record<string, OptionSpec> = {};
  const shortOf = new Map<string, string>();
  const declare = (list: readonly string[], type: 'boolean' | 'string') => {
    let last: string | undefined;
    for (const name of list) {
      if (/^-\w$/.test(name) && last) {
        spec[last].short = name.slice(1);
        shortOf.set(last, name);
      } else {
        last = name.replace(/^--/, '');
        spec[last] = { type, multiple: true };
      }
    }
  };
  declare(flags, 'boolean');
  declare(options, 'string');
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({ args: [...argv], options: spec, strict: true, allowPositionals: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    const named = /--[\w-]+/.exec(err.message)?.[0] ?? /'(-[^', ]+)/.exec(err.message)?.[1] ?? '';
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${named}`);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`${named} needs a value`);
    throw new UsageError(err.message);
  }
  const out: ParsedArgs = { flags: new Set(), values: new Map(), positional: parsed.positionals };
  for (const [name, value] of Object.entries(parsed.values)) {
    if (spec[name]?.type === 'boolean') {
      out.flags.add(`--${name}`);
      if (shortOf.has(name)) out.flags.add(shortOf.get(name)!);
    } else {
      const values = (value as string[]).map((v) => {
        if (!v) throw new UsageError(`--${name} needs a value`);
        return v;
      });
      out.values.set(`--${name}`, values);
    }
  }
  return out;
}
