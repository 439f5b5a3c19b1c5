// `bpf-atlas lsp` (dist/cli.js), the command other editors start: a real JSON-RPC session over its
// stdio, and clear usage errors for bad arguments.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import type { Hover, MarkupContent } from 'vscode-languageserver-protocol';
import { HANG_GUARD_MS } from '../hangGuard';
import { positionAfter, ROOT, TestClient } from './client';

const CLI = path.join(ROOT, 'dist/cli.js');

test('bpf-atlas lsp --stdio serves hover on a real program and exits cleanly', async () => {
  const client = await TestClient.start({ command: [CLI, 'lsp', '--stdio'], settings: { targetKernels: ['debian-12'], useLiveKernel: false } });
  try {
    assert.equal(client.initializeResult.serverInfo?.name, 'bpf-atlas');
    const { uri, text } = await client.openFixture('probes.bpf.c');
    const hover = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionAfter(text, 'SEC("tracepoint/sched/sched_sw') });
    assert.match((hover.contents as MarkupContent).value, /next_pid/);
  } finally {
    assert.equal(await client.stop(), 0);
  }
});

test('bpf-atlas lsp without a transport or with an unknown option prints usage and exits 2', () => {
  for (const args of [[], ['--bogus'], ['--stdio', '--node-ipc']]) {
    const r = spawnSync(process.execPath, [CLI, 'lsp', ...args], { encoding: 'utf8', timeout: HANG_GUARD_MS });
    assert.equal(r.status, 2, `args ${JSON.stringify(args)}`);
    assert.match(r.stderr, /usage: bpf-atlas lsp --stdio/);
    assert.equal(r.stdout, '', 'nothing on stdout (it is the protocol stream)');
  }
});
