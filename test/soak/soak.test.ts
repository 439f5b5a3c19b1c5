// Soak over a real connection (issue 7): the built server gets every fixture program, then thousands
// of small incremental edits in bursts (as fast as a typist with autorepeat, faster than the
// diagnostics debounce), interleaved with completion, hover and codeAction requests, some of them
// cancelled with $/cancelRequest at once or a few ms later. Checked: every request is answered
// (a result, or the RequestCancelled error for a cancelled one), the server stays alive, no
// handler failure is logged, and the last diagnostics of every document carry the version of its
// last edit. The same edits on any machine, however busy: seeded (SOAK_SEED) and counted
// (SOAK_EDITS), never cut short by a clock. Memory over such traffic (the live heap after a forced
// collection, VmRSS) is measured by `npm run bench`, not asserted here.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-protocol';
import { Rng } from '../fuzz/rng';
import { fixturePrograms, positionAt, SoakServer } from './server';

const SEED = Number(process.env.SOAK_SEED ?? 7_2026_1121) >>> 0;
const EDITS = Number(process.env.SOAK_EDITS ?? 3000);
/** What a typist inserts: identifiers, section openers, punctuation that opens or closes scopes,
 *  half strings, newlines, bpftrace probe syntax, and the odd non-ASCII character. */
const FRAGMENTS = [
  'a', 'x', '_', ' ', '\n', '\t', '(', ')', '{', '}', ';', '"', '/', ':', '*', ',', '->', '.',
  'SEC("', 'SEC("kprobe/', 'SEC("tracepoint/sched/', 'SEC("fentry/vfs_', 'kprobe:', 'tracepoint:syscalls:',
  'int ', 'struct task_struct *', 'BPF_CORE_READ(', 'bpf_printk("%d\\n", ', 'args->', 'kretprobe:tcp_',
  '#include <', '/*', '*/', '//', 'if (', 'return 0;', '@[comm] = count();', 'é', '→', '😀',
];

interface Model {
  uri: string;
  languageId: string;
  text: string;
}

/** A random small edit of `doc`, applied to the local copy; returns the LSP change event. */
function randomEdit(rng: Rng, doc: Model): TextDocumentContentChangeEvent {
  const len = doc.text.length;
  let start = rng.int(len + 1);
  // Never split a surrogate pair: a client never sends such a position.
  if (start > 0 && start < len && (doc.text.charCodeAt(start) & 0xfc00) === 0xdc00) start--;
  let end = start;
  // Deletions slightly outweigh long insertions so the documents neither vanish nor balloon.
  if (rng.next() < 0.45 && len > 200) {
    end = Math.min(len, start + 1 + rng.int(12));
    if (end < len && (doc.text.charCodeAt(end) & 0xfc00) === 0xdc00) end++;
  }
  const insert = rng.next() < 0.4 && end > start ? '' : rng.pick(FRAGMENTS);
  const range = { start: positionAt(doc.text, start), end: positionAt(doc.text, end) };
  doc.text = doc.text.slice(0, start) + insert + doc.text.slice(end);
  return { range, text: insert };
}

function randomPosition(rng: Rng, doc: Model) {
  return positionAt(doc.text, rng.int(doc.text.length + 1));
}

describe(`soak over a real connection (SOAK_SEED=${SEED})`, () => {
  let server: SoakServer;
  const rng = new Rng(SEED);
  const docs: Model[] = fixturePrograms().map((p) => ({ uri: p.uri, languageId: p.languageId, text: p.text }));
  let edits = 0;
  let requests = 0;
  let cancelRequests = 0;

  before(async () => {
    server = await SoakServer.start({ settings: { targetKernels: ['debian-12', 'ubuntu-22.04'], useLiveKernel: false } });
    for (const d of docs) await server.open(d.uri, d.text, d.languageId);
    // Startup is over when every document has its first diagnostics.
    for (const d of docs) await server.waitForDiagnostics(d.uri, (p) => p.version === 1);
  });

  after(async () => {
    if (server) await server.stop();
  });

  /** `count` edits in bursts with requests in between; returns when every request is answered. */
  async function traffic(count: number): Promise<void> {
    let done = 0;
    while (done < count) {
      const doc = rng.pick(docs);
      const burst = 1 + rng.int(rng.next() < 0.2 ? 60 : 8);
      const inFlight: Promise<unknown>[] = [];
      for (let i = 0; i < burst && done < count; i++, done++) {
        const change = randomEdit(rng, doc);
        void server.change(doc.uri, [change]);
        edits++;
        if (rng.next() < 0.3) {
          const method = rng.pick(['textDocument/completion', 'textDocument/hover', 'textDocument/codeAction']);
          const position = randomPosition(rng, doc);
          const params = method === 'textDocument/codeAction'
            ? { textDocument: { uri: doc.uri }, range: { start: position, end: position }, context: { diagnostics: [] } }
            : { textDocument: { uri: doc.uri }, position };
          const cancel = rng.next() < 0.25 ? rng.pick([0, 1, 5, 20]) : undefined;
          if (cancel !== undefined) cancelRequests++;
          requests++;
          const what = `${method} at ${position.line}:${position.character} of ${doc.uri} v${server.version(doc.uri)}`;
          inFlight.push(server.outcome(method, params, undefined, cancel).catch((e: Error) => {
            throw new Error(`${what} (SOAK_SEED=${SEED}): ${e.message}`);
          }));
        }
      }
      await Promise.all(inFlight);
      // Sometimes pause past the debounce so diagnostics actually run between bursts.
      if (rng.next() < 0.15) await new Promise((r) => setTimeout(r, 50 + rng.int(250)));
      assert.ok(server.alive, `server exited (code ${server.exitCode}) after ${edits} edits (SOAK_SEED=${SEED})`);
    }
  }

  /** Waits until every document's last publish is for its last version. */
  async function settle(): Promise<void> {
    for (const d of docs) {
      const v = server.version(d.uri)!;
      const p = await server.waitForDiagnostics(d.uri, (x) => x.version === v);
      assert.equal(p.version, v, `${d.uri}: diagnostics version (SOAK_SEED=${SEED})`);
    }
  }

  it('answers every request and keeps diagnostics in step with the last edit', async (t) => {
    // Two rounds, settled in between: the second starts from a server that has caught up.
    await traffic(Math.floor(EDITS / 4));
    await settle();
    await traffic(EDITS - Math.floor(EDITS / 4));
    await settle();

    // Every open document's last publish must match its last version, and the final versions
    // must account for every edit sent.
    let lastVersions = 0;
    for (const d of docs) {
      const list = server.published(d.uri);
      assert.equal(list.at(-1)?.version, server.version(d.uri), `${d.uri}: last publish is for the last edit (SOAK_SEED=${SEED})`);
      lastVersions += server.version(d.uri)! - 1;
    }
    assert.equal(lastVersions, edits, 'every edit bumped a version');
    assert.equal(server.answered, server.sent, `every request answered (SOAK_SEED=${SEED})`);
    assert.ok(server.alive, 'server alive after the run');
    const crashes = server.logs.filter((l) => /uncaught exception|unhandled rejection|failed for/.test(l));
    assert.deepEqual(crashes.slice(0, 3), [], `guarded handler failures logged (SOAK_SEED=${SEED})`);

    t.diagnostic(`seed ${SEED}: ${edits} edits to ${docs.length} documents, ${requests} requests (${cancelRequests} cancelled by the client, ${server.cancelled} answered RequestCancelled)`);
    assert.equal(edits, EDITS, 'every planned edit was sent');
  });
});
