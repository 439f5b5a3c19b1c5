// Loads web-tree-sitter and the tree-sitter-c grammar once per process and hands out parsers.
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

/** Everything needed to parse C: the grammar and a factory for parsers. */
export interface CParserFactory {
  language: TreeSitter.Language;
  create(): TreeSitter.Parser;
}

const RUNTIME_WASM = 'tree-sitter.wasm';
const C_WASM = 'tree-sitter-c.wasm';

/** Folders that may hold a wasm file, in order of preference: beside the running bundle
 *  (dist/), then the packages in node_modules found by walking up from this module. */
function candidateDirs(file: string): string[] {
  const dirs = [__dirname, path.join(__dirname, 'wasm')];
  const pkg = file === RUNTIME_WASM ? 'web-tree-sitter' : 'tree-sitter-c';
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

let loading: Promise<CParserFactory> | undefined;

/** Initialises the tree-sitter runtime and the C grammar (once; later calls share the result). */
export function loadCParser(wasmDirs: readonly string[] = []): Promise<CParserFactory> {
  if (!loading) {
    loading = (async () => {
      const runtime = locateWasm(RUNTIME_WASM, wasmDirs);
      const grammar = locateWasm(C_WASM, wasmDirs);
      await TreeSitter.Parser.init({ locateFile: () => runtime });
      const language = await TreeSitter.Language.load(grammar);
      return {
        language,
        create() {
          const parser = new TreeSitter.Parser();
          parser.setLanguage(language);
          return parser;
        },
      };
    })();
    // A failed load must not poison later attempts (e.g. after the user rebuilds).
    loading.catch(() => { loading = undefined; });
  }
  return loading;
}
