// The stdio writer's encoder writes the bytes JSON.stringify writes, whether a diagnostic's JSON
// is written anew or taken from an earlier publish of the same object.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from 'vscode-jsonrpc';
import { encodeMessage, publishReusingEncoder } from '../../../server/src/lsp/jsonEncoder';

const diag = (line: number, message: string, extra: object = {}) => ({
  range: { start: { line, character: 0 }, end: { line, character: 4 } }, severity: 1, source: 'bpf-atlas', message, ...extra,
});

function publish(uri: string, version: number | undefined, diagnostics: unknown[]): Message {
  return { jsonrpc: '2.0', method: 'textDocument/publishDiagnostics', params: { uri, version, diagnostics } } as Message;
}

describe('the publish-reusing JSON encoder', () => {
  it('writes what JSON.stringify writes, first time and with diagnostics kept from earlier publishes', async () => {
    const kept = [diag(1, 'a "quoted" \u2028 message', { code: 'x', relatedInformation: [{ location: { uri: 'file:///a.c', range: diag(2, '').range }, message: 'r' }] }),
      diag(3, 'b', { tags: undefined, data: { n: [1, null] } })];
    const encoder = publishReusingEncoder();
    const bytes = async (m: Message) => Buffer.from(await encoder.encode(m, { charset: 'utf-8' })).toString('utf8');
    const messages: Message[] = [
      publish('file:///x%20y/\u00e9.bpf.c', 4, kept),
      publish('file:///x%20y/\u00e9.bpf.c', 5, [kept[1], diag(7, 'new'), kept[0]]),
      publish('file:///z.c', undefined, []),
      publish('file:///z.c', 1, [...kept, undefined, null]),
      { jsonrpc: '2.0', id: 3, result: { items: [diag(0, 'not a publish')] } } as Message,
      { jsonrpc: '2.0', method: 'textDocument/publishDiagnostics', params: { uri: 'file:///w.c' } } as Message,
    ];
    for (const m of messages) assert.equal(await bytes(m), JSON.stringify(m));
  });

  it('writes a kept diagnostic from the JSON of its first publish (so nothing may modify a published one)', async () => {
    const d = diag(1, 'first');
    const encoder = publishReusingEncoder();
    const text = async (m: Message) => Buffer.from(await encoder.encode(m, { charset: 'utf-8' })).toString('utf8');
    await text(publish('file:///a.c', 1, [d]));
    d.message = 'changed in place';
    assert.equal(await text(publish('file:///a.c', 2, [d])), JSON.stringify(publish('file:///a.c', 2, [diag(1, 'first')])));
    assert.equal(encodeMessage(publish('file:///a.c', 2, [d]), (x) => Buffer.from(JSON.stringify(x))).toString('utf8'), JSON.stringify(publish('file:///a.c', 2, [d])));
  });
});
