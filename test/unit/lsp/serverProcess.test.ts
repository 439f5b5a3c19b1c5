// The server process's spawn-time options (SERVER_NODE_OPTIONS and serverEnvironment, protocol.ts): node takes them, the young
// generation stays within the semi-space cap they set, a user's own malloc setting wins, and
// every starter of dist/server.js (the VS Code client, the bench, the protocol and soak test
// clients) uses them, so that the bench and the tests run the server as users get it.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gcThreads, SERVER_NODE_OPTIONS, serverEnvironment } from '../../../server/src/protocol';
import { repoRoot } from '../../repoRoot';

describe('language server process options', () => {
  it('node accepts the options, and the young generation stays within the semi-space cap', () => {
    const semi = SERVER_NODE_OPTIONS.map((o) => /^--max-semi-space-size=(\d+)$/.exec(o)?.[1]).find(Boolean);
    assert.ok(semi, 'a semi-space cap is set');
    // Enough short-lived garbage with a surviving window to make V8 grow new space to its cap.
    const script = `let keep = []; for (let i = 0; i < 2e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 50000) keep = []; }
      const ns = require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
      process.stdout.write(String(ns.space_size));`;
    const r = spawnSync(process.execPath, [...SERVER_NODE_OPTIONS, '-e', script], {
      encoding: 'utf8', env: { ...process.env, ...serverEnvironment(process.env) },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Number(r.stdout) <= 2 * Number(semi) * 2 ** 20, `new space ${r.stdout} bytes, cap 2 × ${semi} MB`);
  });

  it("leaves one core to the server's main thread: V8's worker threads are the other cores, 1 to 4", () => {
    assert.deepEqual([1, 2, 3, 4, 8, 64].map(gcThreads), [1, 1, 2, 3, 4, 4]);
    const pool = SERVER_NODE_OPTIONS.map((o) => /^--v8-pool-size=(\d+)$/.exec(o)?.[1]).find(Boolean);
    assert.ok(pool, 'the server gets a --v8-pool-size');
    // node takes it, and the process runs.
    const r = spawnSync(process.execPath, [`--v8-pool-size=${pool}`, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' });
    assert.equal(r.stdout, 'ok', r.stderr);
  });

  it('adds only the variables the environment does not set', () => {
    const added = serverEnvironment({});
    assert.ok(Object.keys(added).length > 0);
    const [key] = Object.keys(added);
    assert.equal(serverEnvironment({ [key]: '65536' })[key], undefined, "the user's own value is kept");
  });

  it('every starter of dist/server.js uses them', () => {
    const root = repoRoot();
    for (const file of ['client/src/ctx.ts', 'bench/run.mjs', 'test/lsp/client.ts', 'test/soak/server.ts']) {
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      assert.match(text, /SERVER_NODE_OPTIONS|nodeOptions/, `${file} starts the server with protocol.ts's SERVER_NODE_OPTIONS`);
      assert.match(text, /serverEnvironment/, `${file} starts the server with protocol.ts's serverEnvironment`);
    }
  });
});
