// The JSON encoder of the stdio writer (serve.ts): vscode-jsonrpc's own, except that the
// diagnostics of a publish are written from the bytes each Diagnostic object had when it was first
// sent. The features hand out the same objects for what did not change (cached diagnostics are
// shared and never modified: features/c/diagnostics.ts), so a body edit in a 1,000-program
// document wrote ~1.8 MB of JSON anew per version (~10 ms of JSON.stringify a run) for the one
// program that changed. The message is assembled as bytes: a 1.8 MB string joined, concatenated
// and converted per version cost ~6 ms and two large objects in V8's old generation per edit,
// which brought a full collection (~100 ms) every dozen body edits. The bytes are those of
// JSON.stringify(message): test/unit/lsp/jsonEncoder. (Over node IPC, as the VS Code client runs
// the server, node serialises the message itself.)

import type { ContentTypeEncoder, ContentTypeEncoderOptions, Message } from 'vscode-jsonrpc';

const PUBLISH = 'textDocument/publishDiagnostics';
/** Stands for the diagnostics array while the rest of the message is written. */
const HOLE = JSON.stringify('\u0000bpf-atlas:diagnostics\u0000');

export function publishReusingEncoder(): ContentTypeEncoder {
  const written = new WeakMap<object, Buffer>();
  const fragment = (d: unknown): Buffer => {
    if (typeof d !== 'object' || d === null) return Buffer.from(JSON.stringify(d) ?? 'null');
    let b = written.get(d);
    if (b === undefined) {
      b = Buffer.from(JSON.stringify(d) ?? 'null');
      written.set(d, b);
    }
    return b;
  };
  return {
    name: 'application/json',
    encode(msg: Message, options: ContentTypeEncoderOptions): Promise<Uint8Array> {
      try {
        const utf8 = /^utf-?8$/i.test(options.charset);
        return Promise.resolve(utf8 ? encodeMessage(msg, fragment) : Buffer.from(JSON.stringify(msg), options.charset as BufferEncoding));
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
}

/** The UTF-8 bytes of JSON.stringify(msg), with a publish's diagnostics taken one by one from
 *  `fragment` (the bytes of JSON.stringify of each). */
export function encodeMessage(msg: Message, fragment: (d: unknown) => Uint8Array): Buffer {
  const m = msg as { method?: unknown; params?: { diagnostics?: unknown } };
  const list = m.method === PUBLISH ? m.params?.diagnostics : undefined;
  if (!Array.isArray(list)) return Buffer.from(JSON.stringify(msg));
  const text = JSON.stringify({ ...m, params: { ...m.params, diagnostics: JSON.parse(HOLE) } });
  const at = text.lastIndexOf(HOLE);
  const head = Buffer.from(`${text.slice(0, at)}[`);
  const tail = Buffer.from(`]${text.slice(at + HOLE.length)}`);
  const parts = list.map(fragment);
  let length = head.length + tail.length + Math.max(0, parts.length - 1);
  for (const p of parts) length += p.length;
  const out = Buffer.allocUnsafe(length);
  let o = head.copy(out, 0);
  parts.forEach((p, i) => {
    if (i) out[o++] = 0x2c; // ,
    out.set(p, o);
    o += p.length;
  });
  tail.copy(out, o);
  return out;
}
