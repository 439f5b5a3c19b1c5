// Wrong settings over a real connection (issue 7, issue 4): wrong types and values, unknown kernel
// ids, bad severity overrides, atlasFiles naming a missing file and a file that is not an atlas.
// Each problem must reach the user (window/showMessage or window/logMessage, naming the setting or
// file) exactly once per value, even when the client re-sends the same settings; the defaults must
// be in use (bpfAtlas/atlasInUse says which), and the server must keep answering requests.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Rng } from '../fuzz/rng';
import { HANG_GUARD_MS, fixturePrograms, positionAt, SoakServer } from './server';

const SEED = Number(process.env.SOAK_SEED ?? 7_2026_1121) >>> 0;

interface AtlasInUse {
  targets: { id: string }[];
  unresolved: { spec: string; reason: string }[];
  settingsProblems: string[];
  workspaceTrusted: boolean;
}

/** How many times `needle` was reported, by channel. */
function reported(server: SoakServer, needle: string): { shown: number; logged: number } {
  return {
    shown: server.messages.filter((m) => m.message.includes(needle)).length,
    logged: server.logs.filter((l) => l.includes(needle)).length,
  };
}

describe(`wrong settings over a real connection (SOAK_SEED=${SEED})`, () => {
  let server: SoakServer;
  let dir: string;
  let randomFile: string;
  const missingFile = path.join(os.tmpdir(), `bpf-atlas-soak-missing-${process.pid}.atlas`);
  const program = fixturePrograms().find((p) => p.name === 'opensnoop.bpf.c')!;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-soak-settings-'));
    randomFile = path.join(dir, 'random.atlas');
    fs.writeFileSync(randomFile, new Rng(SEED).bytes(64 * 1024));
    server = await SoakServer.start({
      settings: {
        targetKernels: 42,
        useLiveKernel: 'yes',
        atlasFiles: [missingFile, randomFile, 17, ''],
        hints: { preferTracepoints: 'sometimes', preferFentry: null },
        severity: { 'fully-inlined': 'fatal', 'no-such-hazard': 'error', absent: 3 },
        trace: { server: 7 },
      },
    });
    await server.open(program.uri, program.text, 'c');
    await server.waitForDiagnostics(program.uri, () => true);
  });

  after(async () => {
    if (server) await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('wrong types and values: each reported once, defaults in use, requests answered', async (t) => {
    const inUse = await server.request<AtlasInUse>('bpfAtlas/atlasInUse', {});
    // Every wrong value is listed, naming its setting.
    for (const key of ['targetKernels', 'useLiveKernel', 'atlasFiles', 'hints.preferTracepoints', 'severity.fully-inlined', 'severity: unknown hazard', 'severity.absent', 'trace.server']) {
      const [setting, detail] = key.split(': ');
      assert.ok(inUse.settingsProblems.some((p) => p.includes(`bpfAtlas.${setting}`) && (!detail || p.includes(detail))),
        `a problem names bpfAtlas.${key}: ${JSON.stringify(inUse.settingsProblems)}`);
    }
    // Defaults: targetKernels 42 -> [] -> the default targets (live when readable, else bundled LTS).
    assert.ok(inUse.targets.length > 0, 'default targets in use');
    // The client re-sends the same (still wrong) settings twice: nothing is reported again.
    await server.notify('workspace/didChangeConfiguration', { settings: null });
    await server.notify('workspace/didChangeConfiguration', { settings: null });
    await server.request('bpfAtlas/listKernels', {});
    await new Promise((r) => setTimeout(r, 500));
    await server.request('bpfAtlas/listKernels', {});
    for (const problem of inUse.settingsProblems) {
      const n = reported(server, problem);
      assert.equal(n.shown, 1, `shown once: ${problem} (${JSON.stringify(n)})`);
    }
    t.diagnostic(`${inUse.settingsProblems.length} settings problems, each shown once after 3 identical configurations; targets ${inUse.targets.map((k) => k.id).join(', ')}`);

    // The server keeps serving with the defaults.
    const at = positionAt(program.text, program.text.indexOf('SEC("tracepoint/') + 16);
    const items = await server.request<unknown[] | { items: unknown[] }>('textDocument/completion', { textDocument: { uri: program.uri }, position: at });
    const count = Array.isArray(items) ? items.length : items.items.length;
    assert.ok(count > 0, 'completion after SEC("tracepoint/ offers trace systems');
    assert.ok(server.alive);
  });

  it('atlasFiles naming a missing file and a random file: each reported (naming the file) once per configuration', async (t) => {
    const inUse = await server.request<AtlasInUse>('bpfAtlas/atlasInUse', {});
    for (const file of [missingFile, randomFile]) {
      const entry = inUse.unresolved.find((u) => u.spec === file);
      assert.ok(entry, `${file} listed as unresolved: ${JSON.stringify(inUse.unresolved)}`);
      assert.ok(entry.reason.includes(path.basename(file)), `the reason names the file: ${entry.reason}`);
      const n = reported(server, path.basename(file));
      t.diagnostic(`${path.basename(file)}: ${entry.reason} (shown ${n.shown}, logged ${n.logged} times over 3 identical configurations)`);
      assert.equal(n.shown, 1, `${file}: shown to the user once`);
    }
  });

  it('unknown kernel ids and a settings section of the wrong shape: reported, defaults kept, server answers', async (t) => {
    server.settings = { targetKernels: ['no-such-kernel-9.99', 'debian-12', '0.0'], useLiveKernel: false };
    await server.notify('workspace/didChangeConfiguration', { settings: null });
    let inUse: AtlasInUse;
    const deadline = Date.now() + HANG_GUARD_MS;
    do {
      await new Promise((r) => setTimeout(r, 100));
      inUse = await server.request<AtlasInUse>('bpfAtlas/atlasInUse', {});
    } while (!inUse.unresolved.some((u) => u.spec === 'no-such-kernel-9.99') && Date.now() < deadline);
    assert.deepEqual(inUse.targets.map((k) => k.id), ['debian-12'], 'the known kernel is kept');
    for (const spec of ['no-such-kernel-9.99', '0.0']) {
      assert.ok(inUse.unresolved.some((u) => u.spec === spec), `${spec} is unresolved: ${JSON.stringify(inUse.unresolved)}`);
      // Quoted, as the messages quote it: a bare `0.0` is also inside `ubuntu-20.04`.
      const n = reported(server, `target kernel "${spec}"`);
      t.diagnostic(`unknown kernel ${spec}: shown ${n.shown}, logged ${n.logged}`);
      assert.equal(n.shown, 1, `${spec}: shown to the user once`);
    }

    for (const wrong of [42, 'bpfAtlas', [1, 2, 3], { targetKernels: { nested: true }, severity: [] }]) {
      server.settings = wrong;
      await server.notify('workspace/didChangeConfiguration', { settings: null });
    }
    await new Promise((r) => setTimeout(r, 500));
    const last = await server.request<AtlasInUse>('bpfAtlas/atlasInUse', {});
    assert.ok(last.settingsProblems.length > 0, 'the last wrong section is reported');
    const kernels = await server.request<{ kernels: { id: string }[] }>('bpfAtlas/listKernels', {});
    assert.ok(kernels.kernels.some((k) => k.id === 'debian-12'), 'bundled kernels still listed');
    const at = positionAt(program.text, program.text.indexOf('SEC("tracepoint/') + 16);
    const items = await server.request<unknown[] | { items: unknown[] }>('textDocument/completion', { textDocument: { uri: program.uri }, position: at });
    assert.ok((Array.isArray(items) ? items : items.items).length > 0, 'completion after SEC("tracepoint/ still offers trace systems');
    const shownTwice = new Map<string, number>();
    for (const m of server.messages) shownTwice.set(m.message, (shownTwice.get(m.message) ?? 0) + 1);
    assert.deepEqual([...shownTwice].filter(([, n]) => n > 1), [], 'no message shown twice');
    t.diagnostic(`${server.messages.length} messages shown in all, none twice`);
    assert.ok(server.alive);
  });
});
