// `bpf-atlas check [--kernel ID]... [--format text|json|sarif] PATH...`: the editor's diagnostics
// over files and folders, for CI. Exit status: 0 when no error was found, 1 when one was, 2 on a
// usage error (bad option, unknown kernel, missing path). The thin edge of server/src/check: it
// builds the atlas, knowledge and document analyser, then prints what check/run.ts finds.

import path from 'node:path';
import { parseArgs, UsageError } from './args';
import type { CliIo } from './io';
import { AnalysisCache } from '../analysis/cache';
import { Atlas } from '../atlas/atlas';
import { liveCacheDir } from '../atlas/liveCache';
import { formatResult, OUTPUT_FORMATS, type OutputFormat } from '../check/format';
import { hasErrors, programsAbove } from '../check/findings';
import { compareKernelVersions } from '../knowledge/loadability';
import { checkFiles, collectFiles, type DocumentAnalyzer } from '../check/run';
import { dataDir } from '../dataDir';
import type { FeatureContext } from '../features/shared/context';
import { UNLIMITED_WORK_BUDGET } from '../features/shared/workBudget';
import { loadKnowledge } from '../knowledge/load';
import { DEFAULT_SETTINGS, type Settings } from '../settings';
import { parseBpftrace } from '../syntax/bpftrace';
import { builtinSectionResolver, type SectionResolver } from '../syntax/cModel';
import { loaderCandidates } from '../syntax/bcc/srcFile';
import { readCompanions } from '../syntax/companions';
import { DocumentStore } from '../syntax/documents';
import { loadCParser, loadPythonParser } from '../syntax/parser';


export const CHECK_USAGE = `usage: bpf-atlas check [--kernel ID]... [--format text|json|sarif] [--no-hints] [--min-kernel V] PATH...

Reports, for every BPF program in PATH (files, or folders searched for *.bpf.c, *.c with SEC(...)
and *.bt), where it fails to attach or silently misses calls on the target kernels, and the stable
alternative. Exit status: 0 no error, 1 an error was found, 2 usage error.

  --kernel ID      a target kernel: an atlas id (debian-12, ubuntu-22.04), a release (6.1), or an
                   atlas file from \`bpf-atlas index\`; repeat (or separate with commas) for
                   several. Default: the running kernel when readable, else the
                   newest bundled LTS kernels.
  --format FMT     text (default), json, or sarif (SARIF 2.1.0 for code scanning).
  --no-hints       leave out hints (stable alternatives for programs that work).
  --no-live        do not read the running kernel.
  --min-kernel V   the oldest upstream kernel the programs must load on (e.g. 5.15): exit 1 when
                   a program needs a newer one (a helper, kfunc, map or program type that came
                   later), naming what dates it.
`;

interface CheckArgs {
  kernels: string[];
  minKernel?: string;
  format: OutputFormat;
  hints: boolean;
  live: boolean;
  paths: string[];
  help: boolean;
}

export function parseCheckArgs(argv: readonly string[]): CheckArgs {
  const parsed = parseArgs(argv, ['--help', '-h', '--json', '--sarif', '--no-hints', '--no-live'], ['--kernel', '-k', '--format', '--min-kernel']);
  const args: CheckArgs = {
    kernels: (parsed.values.get('--kernel') ?? []).flatMap((k) => k.split(',').map((x) => x.trim()).filter(Boolean)),
    format: 'text', hints: !parsed.flags.has('--no-hints'), live: !parsed.flags.has('--no-live'),
    paths: parsed.positional, help: parsed.flags.has('--help'),
  };
  // Flags and --format apply in the order given, the last one winning (as before).
  for (const a of argv) {
    if (a === '--json') args.format = 'json';
    else if (a === '--sarif') args.format = 'sarif';
  }
  const minKernel = parsed.values.get('--min-kernel')?.at(-1);
  if (minKernel !== undefined) {
    if (!/^\d+\.\d+$/.test(minKernel)) throw new UsageError(`--min-kernel wants an upstream version such as 5.15, not "${minKernel}"`);
    args.minKernel = minKernel;
  }
  const format = parsed.values.get('--format')?.at(-1);
  if (format !== undefined) {
    if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`unknown format "${format}": use ${OUTPUT_FORMATS.join(', ')}`);
    args.format = format as OutputFormat;
  }
  return args;
}

/** Runs the check verb; resolves to the exit status. Never throws. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let args: CheckArgs;
  try {
    args = parseCheckArgs(argv);
  } catch (err) {
    io.stderr.write(`bpf-atlas check: ${(err as Error).message}\n${CHECK_USAGE}`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(CHECK_USAGE);
    return 0;
  }
  if (!args.paths.length) {
    io.stderr.write(`bpf-atlas check: no PATH given\n${CHECK_USAGE}`);
    return 2;
  }
  const { files, missing } = collectFiles(args.paths);
  if (missing.length) {
    io.stderr.write(`bpf-atlas check: no such file or folder: ${missing.join(', ')}\n`);
    return 2;
  }

  const dir = dataDir();
  const opened = await openTargets(args, dir, io);
  if (typeof opened === 'number') return opened;
  const { atlas, targets } = opened;

  const knowledge = loadKnowledge(path.join(dir, 'knowledge'));
  const store = await openDocumentStore(knowledge, io);
  if (typeof store === 'number') return store;
  const analyzer: DocumentAnalyzer = {
    analyze: (uri, languageId, text) => store.open(uri, languageId, 1, text),
    release: (uri) => store.close(uri),
  };
  const settings: Settings = {
    ...DEFAULT_SETTINGS,
    targetKernels: args.kernels,
    hints: args.hints ? DEFAULT_SETTINGS.hints : { preferTracepoints: false, preferFentry: false },
    severity: args.hints ? {} : { 'prefer-ksyscall': 'off' } as Settings['severity'],
  };
  // No time budget: CI must get the same findings on a busy machine as on an idle one.
  const ctx: FeatureContext = { atlas, targets, settings, knowledge, cache: new AnalysisCache(), budget: UNLIMITED_WORK_BUDGET };
  const result = checkFiles(files, ctx, analyzer);
  io.stdout.write(formatResult(result, args.format, { srcRoot: process.cwd() }));
  // The running kernel, once read, is kept for the next run (atlas/liveCache.ts).
  atlas.saveLiveCache();
  const tooNew = args.minKernel ? programsAbove(result, args.minKernel, (a, b) => compareKernelVersions(a, b) > 0) : [];
  reportTooNew(tooNew, args.minKernel, io);
  return hasErrors(result) || tooNew.length ? 1 : 0;
}

/** Opens the atlas and resolves the target kernels (named, else the default ones), loading the
 *  running kernel when it is one: or the exit status after reporting why it cannot. */
async function openTargets(args: CheckArgs, dir: string, io: CliIo): Promise<{ atlas: Atlas; targets: string[] } | number> {
  let atlas: Atlas;
  let targets: string[];
  try {
    atlas = new Atlas({ dataDir: dir, live: args.live, liveCacheDir: liveCacheDir() });
    if (args.kernels.length) {
      const { ids, errors } = atlas.resolveAll(args.kernels);
      if (errors.length) {
        io.stderr.write(`bpf-atlas check: ${errors.join('\n')}\n`);
        return 2;
      }
      targets = ids;
    } else {
      targets = atlas.defaultTargets();
    }
    if (targets.includes('live')) await atlas.loadLive();
    for (const w of atlas.warnings) io.stderr.write(`bpf-atlas check: warning: ${w}\n`);
  } catch (err) {
    io.stderr.write(`bpf-atlas check: cannot open the kernel atlas: ${(err as Error).message}\n`);
    return 2;
  }
  if (!targets.length) {
    io.stderr.write(`bpf-atlas check: no target kernel: the running kernel is not readable and no bundled atlas was found in ${path.join(dir, 'atlas')}; name one with --kernel\n`);
    return 2;
  }
  return { atlas, targets };
}

/** The document store with the C and Python parsers loaded: or the exit status after reporting why it cannot. */
async function openDocumentStore(knowledge: ReturnType<typeof loadKnowledge>, io: CliIo): Promise<DocumentStore | number> {
  const resolveSection: SectionResolver = (section) => {
    try {
      return knowledge.sectionPrefix(section) ?? builtinSectionResolver(section);
    } catch {
      return builtinSectionResolver(section);
    }
  };
  try {
    return new DocumentStore({ parser: await loadCParser(), pythonParser: await loadPythonParser(), resolveSection, parseBpftrace, companions: readCompanions,
      bccLoaders: loaderCandidates });
  } catch (err) {
    io.stderr.write(`bpf-atlas check: cannot load the C parser: ${(err as Error).message}\n`);
    return 2;
  }
}

/** Reports on stderr each program that needs a newer kernel than --min-kernel, naming what dates it. */
function reportTooNew(tooNew: ReturnType<typeof programsAbove>, minKernel: string | undefined, io: CliIo): void {
  for (const p of tooNew) {
    const why = p.needs.filter((n) => compareKernelVersions(n.since, minKernel!) > 0).map((n) => `${n.subject} (${n.since})`);
    io.stderr.write(`bpf-atlas check: ${p.file}:${p.line} ${p.name} needs Linux ${p.minKernel}, newer than --min-kernel ${minKernel}${why.length ? `: ${[...new Set(why)].join(', ')}` : ''}\n`);
  }
}
