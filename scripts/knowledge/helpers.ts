// Rebuilds data/knowledge/helpers.json: BPF helper documentation parsed from the UAPI linux/bpf.h
// shipped in Debian's linux-libc-dev packages, plus the curated pitfalls of helper-pitfalls.json.
//
//   node out/scripts/knowledge/helpers.js [--fetch] [--deb-dir DIR] [--out FILE]
//
// The .deb files are looked up in --deb-dir (default: $BPF_ATLAS_DEB_DIR or .cache/debs). With
// --fetch, missing ones are downloaded with apt-get through a private sources list under
// .cache/apt (the system's apt configuration is not touched). Needs dpkg-deb to unpack.
// The output is deterministic: the same debs give a byte-identical file.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HelperDoc } from '../../server/src/knowledge/types';

/** The bundled headers, oldest first. `since` of a helper is the first of these that documents it. */
export const LIBC_DEV_PACKAGES = [
  { version: '5.10.262-1', kernel: '5.10', arch: 'amd64', suite: 'bullseye-security' },
  { version: '6.1.192-2', kernel: '6.1', arch: 'amd64', suite: 'bookworm-security' },
  { version: '6.12.107-1', kernel: '6.12', arch: 'all', suite: 'trixie' },
  { version: '7.2.13-1', kernel: '7.2', arch: 'all', suite: 'sid' },
] as const;

export type LibcDevPackage = (typeof LIBC_DEV_PACKAGES)[number];

export function debFileName(pkg: LibcDevPackage): string {
  return `linux-libc-dev_${pkg.version}_${pkg.arch}.deb`;
}

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

/** Merges the headers (oldest first) into one entry per documented helper: text from the newest
 *  header that documents it, `since` from the oldest, the id checked to agree across headers. */
export function buildHelperDocs(
  headers: { pkg: LibcDevPackage; text: string }[],
  pitfalls: Pitfall[],
): HelperDoc[] {
  const byName = new Map<string, { doc: ParsedHelper; since: string; newest: LibcDevPackage; id?: number }>();
  for (const { pkg, text } of headers) {
    const ids = parseHelperIds(text);
    for (const doc of parseHelperDocs(text)) {
      const id = ids.get(doc.name);
      const known = byName.get(doc.name);
      if (known && known.id !== undefined && id !== undefined && known.id !== id) {
        throw new Error(`${doc.name}: helper id ${known.id} in an older header but ${id} in linux-libc-dev ${pkg.version}`);
      }
      byName.set(doc.name, { doc, since: known?.since ?? pkg.kernel, newest: pkg, id: id ?? known?.id });
    }
  }
  for (const p of pitfalls) {
    if (!byName.has(p.helper)) throw new Error(`pitfall for ${p.helper}, which no bundled header documents`);
  }
  const oldest = headers[0].pkg.kernel;
  return [...byName.values()]
    .sort((a, b) => (a.id ?? Infinity) - (b.id ?? Infinity) || a.doc.name.localeCompare(b.doc.name))
    .map(({ doc, since, newest, id }) => {
      const own = pitfalls.filter((p) => p.helper === doc.name).map(({ text, source }) => ({ text, source }));
      const entry: HelperDoc = {
        name: doc.name,
        proto: doc.proto,
        description: doc.description,
        returns: doc.returns || undefined,
        since,
        id,
        pitfalls: own.length ? own : undefined,
        source: `UAPI linux/bpf.h in Debian linux-libc-dev ${newest.version}` +
          (since === oldest ? ` (documented in every bundled header from ${oldest} on)` : ` (first documented in the ${since} header)`),
      };
      return entry;
    });
}

/** The JSON text of helpers.json; stable key order and formatting. */
export function renderHelpersJson(helpers: HelperDoc[]): string {
  const doc = {
    about: 'BPF helper documentation from the UAPI linux/bpf.h of Debian linux-libc-dev ' +
      LIBC_DEV_PACKAGES.map((p) => p.version).join(', ') +
      '. since = the oldest of these headers that documents the helper ("5.10" means present by 5.10). ' +
      'Generated by scripts/knowledge/helpers.ts; pitfalls from scripts/knowledge/helper-pitfalls.json.',
    helpers,
  };
  return JSON.stringify(doc, null, 1) + '\n';
}

/** Reads usr/include/linux/bpf.h out of a .deb with dpkg-deb and tar. */
export function readBpfHeaderFromDeb(debPath: string): string {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-libc-'));
  try {
    const tarball = path.join(tmp, 'data.tar');
    execFileSync('dpkg-deb', ['--fsys-tarfile', debPath], { stdio: ['ignore', fs.openSync(tarball, 'w'), 'inherit'] });
    execFileSync('tar', ['-xf', tarball, '-C', tmp, './usr/include/linux/bpf.h']);
    return fs.readFileSync(path.join(tmp, 'usr/include/linux/bpf.h'), 'utf8');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The repository root: the nearest folder above this file with package.json and data/. */
export function repoRoot(from = __dirname): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'data'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no repository root above ${from}`);
    dir = parent;
  }
}

export function defaultDebDir(root = repoRoot()): string {
  return process.env.BPF_ATLAS_DEB_DIR || path.join(root, '.cache', 'debs');
}

export function missingDebs(debDir: string): LibcDevPackage[] {
  return LIBC_DEV_PACKAGES.filter((p) => !fs.existsSync(path.join(debDir, debFileName(p))));
}

/** Downloads the missing packages with apt-get and a private sources list under .cache/apt. */
export function fetchDebs(debDir: string, root = repoRoot()): void {
  const aptDir = path.join(root, '.cache', 'apt');
  for (const sub of ['lists/partial', 'cache/archives/partial']) fs.mkdirSync(path.join(aptDir, sub), { recursive: true });
  fs.mkdirSync(debDir, { recursive: true });
  const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
  const sources = [...new Set(LIBC_DEV_PACKAGES.map((p) => p.suite))].map((suite) => {
    const archive = suite.endsWith('-security') ? 'http://deb.debian.org/debian-security' : 'http://deb.debian.org/debian';
    return `deb [arch=amd64 signed-by=${keyring}] ${archive} ${suite} main`;
  });
  const sourceList = path.join(aptDir, 'sources.list');
  fs.writeFileSync(sourceList, sources.join('\n') + '\n');
  const options = [
    '-o', `Dir::Etc::SourceList=${sourceList}`, '-o', 'Dir::Etc::SourceParts=/nonexistent',
    '-o', `Dir::State::Lists=${path.join(aptDir, 'lists')}`, '-o', `Dir::Cache=${path.join(aptDir, 'cache')}`,
    '-o', 'APT::Architecture=amd64', '-o', 'APT::Architectures=amd64', '-o', 'Debug::NoLocking=1',
  ];
  execFileSync('apt-get', [...options, 'update'], { stdio: 'inherit' });
  for (const pkg of missingDebs(debDir)) {
    try {
      execFileSync('apt-get', [...options, 'download', `linux-libc-dev=${pkg.version}`], { cwd: debDir, stdio: 'inherit' });
    } catch {
      throw new Error(`apt-get could not download linux-libc-dev=${pkg.version} from ${pkg.suite}; ` +
        `if the archive dropped it, fetch ${debFileName(pkg)} from https://snapshot.debian.org/ into ${debDir}`);
    }
  }
}

/** Builds the helpers.json text from the debs in `debDir`. */
export function buildHelpersJson(debDir: string, root = repoRoot()): string {
  const missing = missingDebs(debDir);
  if (missing.length) {
    throw new Error(`missing in ${debDir}: ${missing.map(debFileName).join(', ')} (run with --fetch to download them)`);
  }
  const headers = LIBC_DEV_PACKAGES.map((pkg) => ({ pkg, text: readBpfHeaderFromDeb(path.join(debDir, debFileName(pkg))) }));
  const pitfallFile = path.join(root, 'scripts', 'knowledge', 'helper-pitfalls.json');
  const pitfalls = (JSON.parse(fs.readFileSync(pitfallFile, 'utf8')) as { pitfalls: Pitfall[] }).pitfalls;
  return renderHelpersJson(buildHelperDocs(headers, pitfalls));
}

function main(argv: string[]): void {
  const root = repoRoot();
  const valueOf = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const debDir = path.resolve(valueOf('--deb-dir') ?? defaultDebDir(root));
  const out = path.resolve(valueOf('--out') ?? path.join(root, 'data', 'knowledge', 'helpers.json'));
  if (argv.includes('--fetch') && missingDebs(debDir).length) fetchDebs(debDir, root);
  const text = buildHelpersJson(debDir, root);
  fs.writeFileSync(out, text);
  const count = (JSON.parse(text) as { helpers: unknown[] }).helpers.length;
  console.log(`wrote ${out}: ${count} helpers from ${LIBC_DEV_PACKAGES.length} headers`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`helpers: ${(err as Error).message}`);
    process.exit(1);
  }
}
