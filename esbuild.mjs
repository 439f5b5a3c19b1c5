#!/usr/bin/env node
// The one build script: bundles the extension client, the language server and the CLI into dist/
// and copies the tree-sitter wasm files next to them (web-tree-sitter looks for tree-sitter.wasm
// beside the bundle that loads it; the C grammar is loaded from dist/ too). Any missing input or
// esbuild error fails the build with a non-zero exit: a half-built dist/ must never be packaged.
//
//   node esbuild.mjs             one build (with linked source maps for debugging)
//   node esbuild.mjs --watch     rebuild on change (the "run extension" dev loop)
//   node esbuild.mjs --minify    smaller bundles for the .vsix
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const root = path.dirname(new URL(import.meta.url).pathname);
const dist = path.join(root, 'dist');
const watch = process.argv.includes('--watch');
const minify = process.argv.includes('--minify');

const bundles = [
  // The client runs in the extension host, which provides `vscode`.
  { in: 'client/src/extension.ts', out: 'client.js', external: ['vscode'] },
  { in: 'server/src/main.ts', out: 'server.js', external: [] },
  // The CLI: the bin entry (cli.js) runs the bundle (cli-main.js) through V8's code cache.
  { in: 'server/src/cli.ts', out: 'cli-main.js', external: [], oneNamespace: true },
  // `bpf-atlas lookup` alone: the entry runs this smaller bundle for that verb.
  { in: 'server/src/cli/lookupMain.ts', out: 'cli-lookup.js', external: [], oneNamespace: true },
  { in: 'server/src/cliEntry.ts', out: 'cli.js', external: [], banner: '#!/usr/bin/env node', executable: true },
];

const wasmFiles = [
  'node_modules/web-tree-sitter/tree-sitter.wasm',
  'node_modules/tree-sitter-c/tree-sitter-c.wasm',
  'node_modules/tree-sitter-python/tree-sitter-python.wasm',
];

function fail(message) {
  console.error(`esbuild.mjs: ${message}`);
  process.exit(1);
}

for (const b of bundles) {
  if (!fs.existsSync(path.join(root, b.in))) fail(`entry point ${b.in} is missing`);
}
for (const w of wasmFiles) {
  if (!fs.existsSync(path.join(root, w))) fail(`${w} is missing: run npm ci (the server cannot parse C without it)`);
}

fs.mkdirSync(dist, { recursive: true });
for (const w of wasmFiles) fs.copyFileSync(path.join(root, w), path.join(dist, path.basename(w)));

// Marks the CLI executable after every (re)build.
const chmodPlugin = (file) => ({
  name: 'chmod-executable',
  setup(build) {
    build.onEnd((result) => {
      if (!result.errors.length && fs.existsSync(file)) fs.chmodSync(file, 0o755);
    });
  },
});

// esbuild turns each default import of a Node builtin (`import fs from 'node:fs'`, in every file
// that has one) into a namespace object that copies the module's every property: 25 copies in
// the lookup bundle, ~2 ms of a whole-process lookup. In the CLI bundles the helper keeps one
// per module (the objects are read-only views of the same module). Same line count: the
// source map stays true.
const TO_ESM = 'var __toESM = (mod, isNodeMode, target) => (';
const ONE_NAMESPACE = 'var __esmOf = new WeakMap(), __toESM = (mod, isNodeMode) => { if (mod == null || typeof mod !== "object" && typeof mod !== "function") return __toESM1(mod, isNodeMode); let seen = __esmOf.get(mod); if (!seen) __esmOf.set(mod, seen = []); return seen[isNodeMode ? 1 : 0] ??= __toESM1(mod, isNodeMode); }, __toESM1 = (mod, isNodeMode, target) => (';
const oneNamespacePlugin = (file) => ({
  name: 'one-namespace-per-module',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length || !fs.existsSync(file)) return;
      const text = fs.readFileSync(file, 'utf8');
      if (!text.includes(TO_ESM)) {
        if (text.includes('__toESM')) console.warn(`esbuild.mjs: ${path.basename(file)}: esbuild's __toESM helper changed; namespaces are not shared`);
        return;
      }
      fs.writeFileSync(file, text.replace(TO_ESM, ONE_NAMESPACE));
    });
  },
});

const options = bundles.map((b) => {
  const outfile = path.join(dist, b.out);
  return {
    entryPoints: [path.join(root, b.in)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: b.external,
    // web-tree-sitter's ESM build (what esbuild picks for `import`) needs import.meta.url, which a
    // CommonJS bundle does not have: bundle its CommonJS build instead.
    alias: { 'web-tree-sitter': path.join(root, 'node_modules/web-tree-sitter/tree-sitter.cjs') },
    sourcemap: 'linked',
    minify,
    logLevel: 'warning',
    banner: b.banner ? { js: b.banner } : undefined,
    plugins: [...(b.executable ? [chmodPlugin(outfile)] : []), ...(b.oneNamespace ? [oneNamespacePlugin(outfile)] : [])],
  };
});

try {
  if (watch) {
    for (const o of options) {
      const ctx = await esbuild.context(o);
      await ctx.watch();
    }
    console.log('esbuild.mjs: watching for changes');
  } else {
    await Promise.all(options.map((o) => esbuild.build(o)));
    for (const b of bundles) {
      const size = fs.statSync(path.join(dist, b.out)).size;
      console.log(`dist/${b.out}  ${(size / 1024).toFixed(0)} KB`);
    }
  }
} catch (e) {
  // esbuild already printed the diagnostics.
  fail(`build failed${e && e.message ? ': ' + e.message.split('\n')[0] : ''}`);
}
