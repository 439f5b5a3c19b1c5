// Message streams a client should never send (issue 13), beyond the misspelt header that
// test/lsp/protocol.test.ts replays: a Content-Length that is not a number, a body that is not
// JSON, a header line without a colon, binary noise. Each must end the connection with the reason
// on stderr (exit 1), never leave a server that answers nothing. A timeout only turns the hang
// this guards against into a failure.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { SERVER } from '../soak/server';

const HANG = 60_000;

async function feed(data: string | Buffer): Promise<{ code: number | null | 'hang'; stderr: string }> {
  const proc = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => { stderr += String(d); });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  proc.stdin!.write(data);
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([exited, new Promise<'hang'>((resolve) => { timer = setTimeout(() => resolve('hang'), HANG); })]);
  clearTimeout(timer);
  if (code === 'hang') proc.kill('SIGKILL');
  return { code, stderr };
}

describe('broken message streams', () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['a Content-Length that is not a number', 'Content-Length: abc\r\n\r\n{}', /Content-Length value must be a number/],
    ['a body that is not JSON', 'Content-Length: 5\r\n\r\n{{{{{', /JSON/],
    ['a header line without a colon', 'Content-Length 5\r\n\r\nhello', /header must separate key and value/],
    ['binary noise', Buffer.from([0, 1, 2, 0xff, 0xfe, 0x1b, 0x5b, 0x32, 0x4a, 13, 10, 13, 10]), /broke the message framing/],
  ];
  for (const [what, data, reason] of cases) {
    it(`${what}: the connection is closed with the reason`, async () => {
      const { code, stderr } = await feed(data);
      assert.equal(code, 1, `exit status (stderr: ${stderr})`);
      assert.match(stderr, /the client broke the message framing/);
      assert.match(stderr, reason);
      assert.match(stderr, /closing the connection/);
      assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(stderr), `no control character of the input echoed raw: ${JSON.stringify(stderr)}`);
    });
  }
});
