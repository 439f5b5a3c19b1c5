// The idle warm-up's step loop (lsp/activity.ts runIdleSteps) on a real event loop. A server is
// idle on its input between messages: here a listening socket keeps the loop alive with nothing
// to do, as the server's stdin does. Each test fails by the hang guard if the steps stall.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ActivityClock, runIdleSteps } from '../../../server/src/lsp/activity';
import { HANG_GUARD_MS } from '../../hangGuard';

describe('idle steps (runIdleSteps)', { timeout: HANG_GUARD_MS }, () => {
  let idle: net.Server;
  before(async () => {
    idle = net.createServer();
    await new Promise<void>((resolve) => idle.listen(0, '127.0.0.1', resolve));
  });
  after(() => idle.close());

  it('runs every step while the loop waits on its input, without messages to wake it', async () => {
    const ran: number[] = [];
    await runIdleSteps(Array.from({ length: 200 }, (_, i) => () => void ran.push(i)), { quietMs: 0, current: () => true });
    assert.deepEqual(ran, Array.from({ length: 200 }, (_, i) => i));
  });

  it('waits for the quiet time after the last message, then goes on', async () => {
    const clock = new ActivityClock();
    let ranAt: number | undefined;
    clock.touch();
    const touchedAt = clock.quietFor(); // ~0: the message just arrived
    await runIdleSteps([() => { ranAt = clock.quietFor(); }], { quietMs: 30, clock, current: () => true });
    assert.ok(ranAt !== undefined && ranAt >= 30 && touchedAt < 30, `step ran ${ranAt} ms after the message`);
  });

  it('drops the remaining steps once superseded, and skips a step that throws', async () => {
    const ran: string[] = [];
    let current = true;
    await runIdleSteps([
      () => { throw new Error('a kernel that cannot answer'); },
      () => void ran.push('second'),
      () => { ran.push('third'); current = false; },
      () => void ran.push('never'),
    ], { quietMs: 0, current: () => current });
    assert.deepEqual(ran, ['second', 'third']);
  });
});
