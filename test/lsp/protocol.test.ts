// LSP protocol rules over real JSON-RPC to the built server (issue 13): a request before
// `initialize` gets ServerNotInitialized (-32002) at once; an edit at a position past the end of a
// line lands at that line's end, as the specification says; a client that breaks the message
// framing gets the connection closed with a logged reason instead of a server silent forever.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { SERVER, TestClient } from './client';

describe('LSP protocol rules', () => {
  it('answers a request before initialize with ServerNotInitialized (-32002)', async () => {
    const proc = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const connection = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    connection.listen();
    try {
      const hover = connection.sendRequest('textDocument/hover', { textDocument: { uri: 'file:///x.bt' }, position: { line: 0, character: 0 } });
      await assert.rejects(hover, (e: unknown) => e instanceof ResponseError && e.code === -32002);
      const kernels = connection.sendRequest('bpfAtlas/listKernels', {});
      await assert.rejects(kernels, (e: unknown) => e instanceof ResponseError && e.code === -32002);
    } finally {
      connection.dispose();
      proc.kill();
    }
  });

  it('clamps an edit position past the end of a line to that line\'s end', async () => {
    const client = await TestClient.start({ settings: { targetKernels: ['debian-12'], useLiveKernel: false } });
    try {
      const uri = 'file:///clamp.bt';
      await client.open(uri, 'BEGIN { }\r\nEND { }\n', 'bpftrace');
      await client.waitForDiagnostics(uri);
      // Inserted "past" the end of line 0: it must land before the \r\n, on line 0.
      await client.change(uri, [{ range: { start: { line: 0, character: 500 }, end: { line: 0, character: 500 } }, text: ' kprobe:' }]);
      const published = await client.waitForDiagnostics(uri, (p) => p.version === 2);
      const incomplete = published.diagnostics.find((d) => /Incomplete probe/.test(d.message));
      assert.ok(incomplete, JSON.stringify(published.diagnostics));
      assert.equal(incomplete.range.start.line, 0);
      assert.equal(incomplete.range.start.character, 10);
    } finally {
      await client.stop();
    }
  });

  it('closes the connection with a logged reason when the framing breaks', async () => {
    const proc = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => { stderr += String(d); });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.stdin!.write('Content-Lenght: 5\r\n\r\nhello');
    // The hang this guards against never ends: a generous bound only turns it into a failure.
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<'hang'>((resolve) => { timer = setTimeout(() => resolve('hang'), 60_000); })]);
    clearTimeout(timer);
    if (code === 'hang') proc.kill('SIGKILL');
    assert.equal(code, 1, `exit status (stderr: ${stderr})`);
    assert.match(stderr, /broke the message framing[\s\S]*Content-Length[\s\S]*closing the connection/);
  });
});
