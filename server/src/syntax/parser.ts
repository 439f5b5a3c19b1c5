// Loads web-tree-sitter and the grammars (tree-sitter-c; tree-sitter-python for BCC tools) once per
// process and hands out parsers.
// The wasm files sit next to the esbuild bundle in dist/ when shipped, and in node_modules when
// running from out/ (tests) or source; both places are tried, and a missing file is a clear error
// naming every path that was looked at. Only the document store (documents.ts) calls parse.

import fs from 'node:fs';
import path from 'node:path';
import * as TreeSitter from 'web-tree-sitter';

export type Tree = TreeSitter.Tree;
export type SyntaxNode = TreeSitter.Node;
export type Parser = TreeSitter.Parser;
export type Edit = TreeSitter.Edit;

/** Everything needed to parse one language: the grammar and a factory for parsers. */
export interface ParserFactory {
  language: TreeSitter.Language;
  create(): TreeSitter.Parser;
}
export type CParserFactory = ParserFactory;
export type PythonParserFactory = ParserFactory;

const RUNTIME_WASM = 'tree-sitter.wasm';
const C_WASM = 'tree-sitter-c.wasm';
const PYTHON_WASM = 'tree-sitter-python.wasm';

/** The npm package that ships each wasm file. */
const WASM_PACKAGE: Record<string, string> = {
  [RUNTIME_WASM]: 'web-tree-sitter',
  [C_WASM]: 'tree-sitter-c',
  [PYTHON_WASM]: 'tree-sitter-python',
};

/** Folders that may hold a wasm file, in order of preference: beside the running bundle
 *  (dist/), then the packages in node_modules found by walking up from this module. */
function candidateDirs(file: string): string[] {
  const dirs = [__dirname, path.join(__dirname, 'wasm')];
  const pkg = WASM_PACKAGE[file] ?? 'tree-sitter-c';
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    dirs.push(path.join(dir, 'node_modules', pkg));
    dirs.push(path.join(dir, 'dist'));
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return dirs;
}

/** Finds a wasm file or throws an Error listing where it looked. */
export function locateWasm(file: string, extraDirs: readonly string[] = []): string {
  const tried: string[] = [];
  for (const dir of [...extraDirs, ...candidateDirs(file)]) {
    const p = path.join(dir, file);
    tried.push(p);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`bpf-atlas: cannot find ${file}; looked in:\n  ${tried.join('\n  ')}\n` +
    'Rebuild the bundle (npm run build copies the wasm files into dist/) or reinstall dependencies.');
}

let runtime: Promise<void> | undefined;

/** Initialises the tree-sitter runtime once; every grammar loader awaits it. */
function initRuntime(wasmDirs: readonly string[]): Promise<void> {
  if (!runtime) {
    runtime = (async () => {
      const wasm = locateWasm(RUNTIME_WASM, wasmDirs);
      await TreeSitter.Parser.init({ locateFile: () => wasm });
    })();
    runtime.catch(() => { runtime = undefined; });
  }
  return runtime;
}

const loading = new Map<string, Promise<ParserFactory>>();

/** Loads one grammar (once; later calls share the result). */
function loadGrammar(file: string, wasmDirs: readonly string[]): Promise<ParserFactory> {
  let pending = loading.get(file);
  if (!pending) {
    pending = (async () => {
      const grammar = locateWasm(file, wasmDirs);
      await initRuntime(wasmDirs);
      // The bytes, not the path: with a path web-tree-sitter imports fs/promises dynamically,
      // which code run from V8's code cache (the CLI's entry, cliEntry.ts) cannot do.
      const language = await TreeSitter.Language.load(fs.readFileSync(grammar));
      return {
        language,
        create() {
          const parser = new TreeSitter.Parser();
          parser.setLanguage(language);
          return parser;
        },
      };
    })();
    loading.set(file, pending);
    // A failed load must not poison later attempts (e.g. after the user rebuilds).
    pending.catch(() => { loading.delete(file); });
  }
  return pending;
}

/** Initialises the tree-sitter runtime and the C grammar (once; later calls share the result). */
export function loadCParser(wasmDirs: readonly string[] = []): Promise<CParserFactory> {
  return loadGrammar(C_WASM, wasmDirs);
}

/** The Python grammar, for the Python side of BCC tools (syntax/bcc). */
export function loadPythonParser(wasmDirs: readonly string[] = []): Promise<PythonParserFactory> {
  return loadGrammar(PYTHON_WASM, wasmDirs);
}
