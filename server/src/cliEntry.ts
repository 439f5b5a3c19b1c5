// The `bpf-atlas` command's entry (dist/cli.js). It runs the CLI bundle (dist/cli-main.js, built
// from cli.ts; for `bpf-atlas lookup`, dist/cli-lookup.js from cli/lookupMain.ts, which holds
// that verb alone) through V8's code cache, so a run does not compile a megabyte of JavaScript again:
// after the first run of a build, what V8 compiled for it (the functions the command ran
// included) is kept in the user cache folder (cacheDir.ts) under the bundle's name, size and time;
// later runs hand it to V8, which checks it against the source and its own version, and compiles
// afresh (and keeps that) when it does not match. This is what Node 22's
// module.enableCompileCache() does for every module; bpf-atlas supports Node 20, which has none.
// Without a cache (BPF_ATLAS_CACHE=off, a home that cannot be written) the bundle is compiled as
// Node would. The bundle is compiled here, not required: it is one file of our own build, loaded
// once, not a module of the source graph.

// Named imports of the builtins (not default ones): a default import makes the bundle copy the
// module's every property into a namespace object first.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { cacheDirUnlessOff } from './cacheDir';

/** Verbs with a bundle of their own: what a run of one reads and compiles is what it runs. */
const VERB_BUNDLES = new Map([['lookup', 'cli-lookup.js']]);
const bundle = join(__dirname, VERB_BUNDLES.get(process.argv[2]) ?? 'cli-main.js');
const bundleName = basename(bundle, '.js');

function cacheFileOf(): string | undefined {
  const dir = cacheDirUnlessOff();
  if (!dir) return undefined;
  try {
    const st = statSync(bundle);
    return join(dir, 'v8', `${bundleName}-${st.size}-${Math.floor(st.mtimeMs)}-${process.version}-${process.arch}.cache`);
  } catch {
    return undefined;
  }
}

/** Keep the compiled code, and drop what earlier builds of the bundle left. */
function keep(file: string, data: Buffer): void {
  try {
    const dir = dirname(file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, data);
    renameSync(tmp, file);
    for (const n of readdirSync(dir)) if (n.startsWith(`${bundleName}-`) && n.endsWith('.cache') && join(dir, n) !== file) rmSync(join(dir, n), { force: true });
  } catch {
    /* no cache: the next run compiles again */
  }
}

const cacheFile = cacheFileOf();
let cached: Buffer | undefined;
try {
  cached = cacheFile ? readFileSync(cacheFile) : undefined;
} catch {
  cached = undefined;
}
// Code from the cache cannot import() (Node drops the callback for it): the bundle has no dynamic
// import (syntax/parser.ts gives web-tree-sitter bytes, not paths).
const script = new Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData: cached });
if (cacheFile && (!cached || script.cachedDataRejected)) process.once('exit', () => keep(cacheFile, script.createCachedData()));
const main = new Module(bundle, module);
main.filename = bundle;
main.paths = module.paths;
const load = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
load.call(main.exports, main.exports, Module.createRequire(bundle), main, bundle, __dirname);
(main.exports as { runAsMain(): void }).runAsMain();
