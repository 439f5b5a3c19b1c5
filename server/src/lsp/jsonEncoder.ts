// The JSON encoder of the stdio writer (serve.ts): vscode-jsonrpc's own, except that the
// diagnostics of a publish are written from the JSON each Diagnostic object had when it was first
// sent. The features hand out the same objects for what did not change (cached diagnostics are
// shared and never modified: features/c/diagnostics.ts), so a body edit in a 1,000-program
// document wrote ~1.8 MB of JSON anew per version (~10 ms of JSON.stringify a run) for the one
// program that changed. The bytes are those of JSON.stringify(message): test/unit/lsp/jsonEncoder.
// (Over node IPC, as the VS Code client runs the server, node serialises the message itself.)

import type { ContentTypeEncoder, ContentTypeEncoderOptions, Message } from 'vscode-jsonrpc';

const PUBLISH = 'textDocument/publishDiagnostics';
/** Stands for the diagnostics array while the rest of the message is written. */
const HOLE = '\u0000bpf-atlas:diagnostics\u0000';

export function publishReusingEncoder(): ContentTypeEncoder {
  const written = new WeakMap<object, string>();
  const fragment = (d: unknown): string => {
    if (typeof d !== 'object' || d === null) return JSON.stringify(d) ?? 'null';
    let s = written.get(d);
    if (s === undefined) {
      s = JSON.stringify(d) ?? 'null';
      written.set(d, s);
    }
    return s;
  };
  return {
    name: 'application/json',
    encode(msg: Message, options: ContentTypeEncoderOptions): Promise<Uint8Array> {
      try {
        return Promise.resolve(Buffer.from(encodeMessage(msg, fragment), options.charset as BufferEncoding));
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
}

/** JSON.stringify(msg), with a publish's diagnostics written one by one through `fragment`. */
export function encodeMessage(msg: Message, fragment: (d: unknown) => string): string {
  const m = msg as { method?: unknown; params?: { diagnostics?: unknown } };
  const list = m.method === PUBLISH ? m.params?.diagnostics : undefined;
  if (!Array.isArray(list)) return JSON.stringify(msg);
  const text = JSON.stringify({ ...m, params: { ...m.params, diagnostics: HOLE } });
  const at = text.lastIndexOf(JSON.stringify(HOLE));
  return `${text.slice(0, at)}[${list.map(fragment).join(',')}]${text.slice(at + JSON.stringify(HOLE).length)}`;
}
