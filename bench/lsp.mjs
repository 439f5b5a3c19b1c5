// A language-server client for the benchmark: spawns a server process (bpf-atlas's dist/server.js
// or a peer such as clangd), talks JSON-RPC over its stdio as an editor does, keeps each open
// document's text so edits can be sent as ranges, and waits for published diagnostics by version.
// Timings are taken here, on the client side, so they include the transport and the server's own
// scheduling, as a user would see them.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const rpc = require('vscode-jsonrpc/node');

/** Resident memory of a process, MB (NaN when it cannot be read). */
export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Line/character of offset `at` in `text`. */
export function positionAt(text, at) {
  let line = 0;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, character: at - start };
}

/** Number of items in a completion answer. */
export function itemCount(r) {
  return Array.isArray(r) ? r.length : r?.items?.length ?? 0;
}

const CLIENT_CAPABILITIES = {
  workspace: { configuration: true },
  textDocument: {
    synchronization: { didSave: false },
    publishDiagnostics: { versionSupport: true, relatedInformation: true },
    completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown', 'plaintext'], resolveSupport: { properties: ['documentation', 'detail'] } }, contextSupport: true },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } },
  },
};

/**
 * Starts a server and completes the initialize handshake.
 * @param {{ command: string, args: string[], cwd?: string, rootUri?: string|null, settings?: object, settingsSection?: string, env?: object }} o
 */
export async function startLsp(o) {
  const t0 = performance.now();
  const child = spawn(o.command, o.args, { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { if (stderr.length < 20000) stderr += d; });
  let exited = null;
  const exitedP = new Promise((resolve) => child.on('exit', (code, signal) => { exited = { code, signal }; resolve(exited); }));
  child.on('error', (e) => { exited = { error: e.message }; });
  const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
  conn.onRequest('workspace/configuration', (p) => p.items.map((it) => (o.settings && (!it.section || it.section === o.settingsSection) ? o.settings : null)));
  conn.onRequest('client/registerCapability', () => null);
  conn.onRequest('window/workDoneProgress/create', () => null);
  conn.onRequest('window/showMessageRequest', () => null);
  const published = new Map();
  let waiters = [];
  conn.onNotification('textDocument/publishDiagnostics', (p) => {
    published.set(p.uri, p);
    const keep = [];
    for (const w of waiters) if (!w(p)) keep.push(w);
    waiters = keep;
  });
  conn.onNotification(() => {});
  conn.onError(() => {});
  conn.listen();
  const init = await Promise.race([
    conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: o.rootUri ?? null,
      workspaceFolders: o.rootUri ? [{ uri: o.rootUri, name: 'bench' }] : null,
      capabilities: CLIENT_CAPABILITIES,
      initializationOptions: o.settings ? { settings: o.settings } : undefined,
    }),
    exitedP.then((e) => { throw new Error(`${o.command} exited during initialize (${JSON.stringify(e)}): ${stderr.slice(-400)}`); }),
  ]);
  conn.sendNotification('initialized', {});

  const docs = new Map();
  const session = {
    child, conn, t0, init, published,
    get stderr() { return stderr; },
    get exited() { return exited; },
    rss: () => rssMb(child.pid),
    open(uri, languageId, text) {
      docs.set(uri, { text, version: 1 });
      conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
      return 1;
    },
    text: (uri) => docs.get(uri).text,
    version: (uri) => docs.get(uri).version,
    /** Replaces text[start, end) with `insert`; returns the new version. */
    edit(uri, start, end, insert) {
      const d = docs.get(uri);
      const range = { start: positionAt(d.text, start), end: positionAt(d.text, end) };
      d.text = d.text.slice(0, start) + insert + d.text.slice(end);
      d.version++;
      conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: d.version }, contentChanges: [{ range, text: insert }] });
      return d.version;
    },
    /** A request, timed on the client side: [ms, result]. */
    async timed(method, params) {
      const t = performance.now();
      const r = await conn.sendRequest(method, params);
      return [performance.now() - t, r];
    },
    /** Resolves with the first diagnostics published for `uri` that satisfy `accept` (default:
     *  version >= `version`), or undefined after `timeoutMs`. */
    diagnosticsFor(uri, version, { accept, timeoutMs = 60000 } = {}) {
      const ok = (p) => p.uri === uri && (p.version === undefined || p.version === null || p.version >= version) && (!accept || accept(p));
      return new Promise((resolve) => {
        const timer = setTimeout(() => { waiters = waiters.filter((w) => w !== check); resolve(undefined); }, timeoutMs);
        const check = (p) => { if (!ok(p)) return false; clearTimeout(timer); resolve(p); return true; };
        waiters.push(check);
      });
    },
    async stop() {
      if (!exited) {
        try {
          await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 3000))]);
          conn.sendNotification('exit');
        } catch { /* already gone */ }
      }
      const killer = setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } }, 3000);
      await Promise.race([exitedP, new Promise((r) => setTimeout(r, 3500))]);
      clearTimeout(killer);
      conn.dispose();
    },
  };
  return session;
}
