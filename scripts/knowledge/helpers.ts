// Rebuilds data/knowledge/helpers.json: BPF helper documentation parsed from the UAPI linux/bpf.h
// of Debian's linux-source packages of the bundled Debian kernels (5.10, 6.1, 6.12, 7.2; the same
// text linux-libc-dev installs, whose older versions the archive drops), the first upstream kernel
// of each helper (bcc-kernel-versions.json, checked against the bundled kernels' own enums by
// test/unit/knowledge/since.test.ts), and the curated pitfalls of helper-pitfalls.json.
//
//   node out/scripts/knowledge/helpers.js [--fetch] [--src-dir DIR] [--out FILE]
//
// Packages are found as scripts/knowledge/linuxSource.ts says ($BPF_ATLAS_SRC_DIR, default
// .cache/src); with --fetch, missing ones are downloaded. The output is deterministic: the same
// packages give a byte-identical file.

import fs from 'node:fs';
import path from 'node:path';
import type { HelperDoc } from '../../server/src/knowledge/types';
import { repoRoot } from './apt';
import { LINUX_SOURCES, defaultSourceDir, fetchPackages, readSourceFile } from './linuxSource';

/** One helper as documented by one header. */
export interface ParsedHelper {
  name: string;
  proto: string;
  description: string;
  returns: string;
}

const DOC_START = 'Start of BPF helper function descriptions:';

/** Parses the helper comment block of a bpf.h text: ` * <proto>` lines followed by indented
 *  `Description` and `Return` sections (tabs, or a space and tabs, after the ` *`). */
export function parseHelperDocs(header: string): ParsedHelper[] {
  const start = header.indexOf(DOC_START);
  if (start < 0) throw new Error(`no "${DOC_START}" comment block`);
  const end = header.indexOf('*/', start);
  if (end < 0) throw new Error('helper comment block is not closed');
  const lines = header.slice(start + DOC_START.length, end).split('\n').map((l) => l.replace(/^\s?\*/, ''));

  const helpers: ParsedHelper[] = [];
  let current: { proto: string; description: string[]; returns: string[] } | undefined;
  let section: 'description' | 'returns' | undefined;
  const finish = () => {
    if (!current) return;
    const name = /([A-Za-z_]\w*)\s*\(/.exec(current.proto)?.[1];
    if (!name) throw new Error(`cannot find the helper name in "${current.proto}"`);
    helpers.push({ name, proto: current.proto, description: tidy(current.description), returns: tidy(current.returns) });
  };
  for (const line of lines) {
    // A prototype sits at one space of indentation; section bodies are indented by tabs.
    if (/^ [^\s]/.test(line)) {
      finish();
      current = { proto: line.trim().replace(/\s+/g, ' '), description: [], returns: [] };
      section = undefined;
      continue;
    }
    const heading = /^\s+(Description|Return)\s*$/.exec(line);
    if (heading && current) {
      section = heading[1] === 'Description' ? 'description' : 'returns';
      continue;
    }
    if (current && section) current[section].push(line);
  }
  finish();
  return helpers;
}

/** Turns a section body into plain text: common indentation removed, deeper levels as two spaces
 *  per tab, RST escaped spaces (`\ `) dropped, surrounding blank lines trimmed. */
function tidy(body: string[]): string {
  const expanded = body.map((l) => l.replace(/^ (?=\t)/, '').replace(/\s+$/, ''));
  const indents = expanded.filter((l) => l.length > 0).map((l) => /^\t*/.exec(l)![0].length);
  const base = indents.length ? Math.min(...indents) : 0;
  const text = expanded
    .map((l) => {
      const tabs = /^\t*/.exec(l)![0].length;
      return '  '.repeat(Math.max(0, tabs - base)) + l.slice(tabs).replace(/\\ /g, '');
    })
    .join('\n');
  return text.replace(/^\n+|\n+$/g, '').replace(/\n{3,}/g, '\n\n');
}

/** Helper ids from `___BPF_FUNC_MAPPER` (`FN(name, id, ##ctx)`, 6.2+) or the older
 *  `__BPF_FUNC_MAPPER` list (`FN(name)`, id = position). Names get their `bpf_` prefix. */
export function parseHelperIds(header: string): Map<string, number> {
  const ids = new Map<string, number>();
  const explicit = /#define ___BPF_FUNC_MAPPER\(FN, ctx\.\.\.\)([\s\S]*?)\n\s*\n/.exec(header);
  if (explicit) {
    for (const m of explicit[1].matchAll(/FN\((\w+),\s*(\d+),\s*##ctx\)/g)) ids.set(`bpf_${m[1]}`, Number(m[2]));
  } else {
    const listed = /#define __BPF_FUNC_MAPPER\(FN\)([\s\S]*?)\n\s*\n/.exec(header);
    if (!listed) throw new Error('no __BPF_FUNC_MAPPER / ___BPF_FUNC_MAPPER list');
    let index = 0;
    for (const m of listed[1].matchAll(/FN\((\w+)\)/g)) ids.set(`bpf_${m[1]}`, index++);
  }
  if (!ids.size) throw new Error('the helper id list is empty');
  return ids;
}

interface Pitfall { helper: string; text: string; source: string }

/** bcc-kernel-versions.json: [name, version, commit] rows, a spelling fix and corrections. */
export interface KernelVersionsTable {
  source: string;
  aliases: Record<string, string>;
  corrections: Record<string, { since: string; why: string }>;
  helpers: [string, string, string][];
  mapTypes: [string, string, string][];
  progTypes: [string, string, string][];
}

/** The UAPI header of one kernel source. */
export interface SourceHeader { version: string; label: string; text: string }

/** Upstream first kernel of every helper: the table's row (corrected where the bundled enums
 *  contradicted it); a helper the table lacks gets the version its id falls in when the helpers
 *  with the ids around it agree (helper ids are handed out in order of addition). */
export function helperSince(ids: Map<string, number>, table: KernelVersionsTable): Map<string, { since: string; source: string }> {
  const out = new Map<string, { since: string; source: string }>();
  for (const [raw, version, commit] of table.helpers) {
    const plain = table.aliases[raw] ?? raw;
    const fix = table.corrections[plain];
    out.set(`bpf_${plain}`, fix
      ? { since: fix.since, source: `bcc docs/kernel-versions.md says ${version}, corrected: ${fix.why}` }
      : { since: version, source: `bcc docs/kernel-versions.md, linux commit ${commit}` });
  }
  const byId = [...ids].filter(([n]) => n !== 'bpf_unspec').sort((a, b) => a[1] - b[1]);
  for (const [i, [name]] of byId.entries()) {
    if (out.has(name)) continue;
    const before = byId.slice(0, i).reverse().find(([n]) => out.has(n));
    const after = byId.slice(i + 1).find(([n]) => out.has(n));
    const lo = before && out.get(before[0])!.since;
    const hi = after && out.get(after[0])!.since;
    if (lo && lo === hi) out.set(name, { since: lo, source: `between ${before![0]} and ${after![0]} (both ${lo}) in helper id order` });
  }
  return out;
}

/** Merges the headers (oldest first) into one entry per documented helper: text from the newest
 *  header that documents it, the id checked to agree across headers, `since` from the table. */
export function buildHelperDocs(headers: SourceHeader[], pitfalls: Pitfall[], table: KernelVersionsTable): HelperDoc[] {
  const byName = new Map<string, { doc: ParsedHelper; newest: SourceHeader; id?: number }>();
  const allIds = new Map<string, number>();
  for (const header of headers) {
    const ids = parseHelperIds(header.text);
    for (const [n, id] of ids) allIds.set(n, id);
    for (const doc of parseHelperDocs(header.text)) {
      const id = ids.get(doc.name);
      const known = byName.get(doc.name);
      if (known && known.id !== undefined && id !== undefined && known.id !== id) {
        throw new Error(`${doc.name}: helper id ${known.id} in an older header but ${id} in ${header.label}`);
      }
      byName.set(doc.name, { doc, newest: header, id: id ?? known?.id });
    }
  }
  for (const p of pitfalls) {
    if (!byName.has(p.helper)) throw new Error(`pitfall for ${p.helper}, which no bundled header documents`);
  }
  const since = helperSince(allIds, table);
  return [...byName.values()]
    .sort((a, b) => (a.id ?? Infinity) - (b.id ?? Infinity) || a.doc.name.localeCompare(b.doc.name))
    .map(({ doc, newest, id }) => {
      const own = pitfalls.filter((p) => p.helper === doc.name).map(({ text, source }) => ({ text, source }));
      const first = since.get(doc.name);
      if (!first) throw new Error(`${doc.name}: no first kernel in bcc-kernel-versions.json and none from its id neighbours`);
      const entry: HelperDoc = {
        name: doc.name,
        proto: doc.proto,
        description: doc.description,
        returns: doc.returns || undefined,
        since: first.since,
        sinceSource: first.source,
        id,
        pitfalls: own.length ? own : undefined,
        source: `UAPI linux/bpf.h in ${newest.label}`,
      };
      return entry;
    });
}

/** The JSON text of helpers.json; stable key order and formatting. */
export function renderHelpersJson(helpers: HelperDoc[], headers: SourceHeader[]): string {
  const doc = {
    about: 'BPF helper documentation from the UAPI linux/bpf.h of ' + headers.map((h) => h.label).join(', ') +
      '. since = the first upstream kernel with the helper (bcc docs/kernel-versions.md, checked against the ' +
      'enums of every bundled kernel; sinceSource says where each comes from). Generated by ' +
      'scripts/knowledge/helpers.ts; pitfalls from scripts/knowledge/helper-pitfalls.json.',
    helpers,
  };
  return JSON.stringify(doc, null, 1) + '\n';
}

export function readKernelVersionsTable(root = repoRoot()): KernelVersionsTable {
  return JSON.parse(fs.readFileSync(path.join(root, 'scripts', 'knowledge', 'bcc-kernel-versions.json'), 'utf8')) as KernelVersionsTable;
}

/** The UAPI bpf.h of every bundled kernel source, oldest first. */
export function sourceHeaders(srcDir: string, root = repoRoot()): SourceHeader[] {
  return LINUX_SOURCES.map((src) => ({
    version: src.version,
    label: `Debian ${src.source.name} ${src.source.version}`,
    text: readSourceFile(src, 'include/uapi/linux/bpf.h', srcDir, root),
  }));
}

/** The bpf-types.json text: first upstream kernel of every map and program type (same table). */
export function renderTypesJson(table: KernelVersionsTable): string {
  const rows = [
    ...table.mapTypes.map(([name, since, commit]) => ({ kind: 'map', name, since, commit })),
    ...table.progTypes.map(([name, since, commit]) => ({ kind: 'prog', name, since, commit })),
  ].map((r) => ({ ...r, source: `bcc docs/kernel-versions.md, linux commit ${r.commit}` }));
  const doc = {
    about: 'First upstream kernel of each BPF map type and program type (bcc docs/kernel-versions.md, ' +
      'checked against the enums of every bundled kernel by test/unit/knowledge/since.test.ts). Types the ' +
      'table does not list are judged from the kernels\' own enums only. Generated by scripts/knowledge/helpers.ts.',
    types: rows,
  };
  return JSON.stringify(doc, null, 1) + '\n';
}

/** Builds the helpers.json text from the kernel sources in `srcDir`. */
export function buildHelpersJson(srcDir: string, root = repoRoot()): string {
  const headers = sourceHeaders(srcDir, root);
  const pitfallFile = path.join(root, 'scripts', 'knowledge', 'helper-pitfalls.json');
  const pitfalls = (JSON.parse(fs.readFileSync(pitfallFile, 'utf8')) as { pitfalls: Pitfall[] }).pitfalls;
  return renderHelpersJson(buildHelperDocs(headers, pitfalls, readKernelVersionsTable(root)), headers);
}

function main(argv: string[]): void {
  const root = repoRoot();
  const valueOf = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const srcDir = path.resolve(valueOf('--src-dir') ?? defaultSourceDir(root));
  const out = path.resolve(valueOf('--out') ?? path.join(root, 'data', 'knowledge', 'helpers.json'));
  if (argv.includes('--fetch')) fetchPackages(srcDir, root);
  const text = buildHelpersJson(srcDir, root);
  fs.writeFileSync(out, text);
  fs.writeFileSync(path.join(path.dirname(out), 'bpf-types.json'), renderTypesJson(readKernelVersionsTable(root)));
  const count = (JSON.parse(text) as { helpers: unknown[] }).helpers.length;
  console.log(`wrote ${out}: ${count} helpers from ${LINUX_SOURCES.length} headers, and bpf-types.json`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`helpers: ${(err as Error).message}`);
    process.exit(1);
  }
}
