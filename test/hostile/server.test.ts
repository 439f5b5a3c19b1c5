// Hostile atlas files named by a trusted workspace, over a real JSON-RPC connection to the built
// server (issue 13): a FIFO, a decompression bomb, a header with text in its count fields and a
// kernel id holding escape codes, in `atlasFiles` and in `targetKernels`. `initialize` must be
// answered (a FIFO used to block it for good), every file reported by `bpfAtlas/atlasInUse` with
// what is wrong, and the server must keep answering. A crafted kernel whose names hold HTML,
// markdown and escape codes must reach the hover as text, not markup. The timeouts here only turn
// a hang into a failure.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Hover, MarkupContent } from 'vscode-languageserver-protocol';
import { encodeAtlas } from '../../server/src/atlas/format';
import type { KernelFacts } from '../../server/src/atlas/model';
import { brotliZeros, parseAtlas, realKernelSlice, rewriteHeader, sectionRefs, setSection, smallAtlas } from '../craftAtlas';
import { positionAt, SoakServer } from '../soak/server';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-hostile-server-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const HANG = 120_000;

interface InUse { targets: string[]; unresolved: { spec: string; reason: string }[] }

describe('hostile atlas files in a trusted workspace', { timeout: 5 * HANG }, () => {
  const files: Record<string, string> = {};

  before(async () => {
    const good = smallAtlas();
    files.fifo = path.join(tmp, 'pipe.atlas');
    execFileSync('mkfifo', [files.fifo]);
    const bomb = await brotliZeros(252 * (16 << 20));
    let bytes = good;
    for (const [name, ref] of sectionRefs(parseAtlas(good).header)) {
      bytes = setSection(bytes, (h) => sectionRefs(h).find(([n]) => n === name)![1], bomb, ref.raw);
    }
    files.bomb = path.join(tmp, 'bomb.atlas');
    fs.writeFileSync(files.bomb, bytes);
    files.types = path.join(tmp, 'types.atlas');
    fs.writeFileSync(files.types, rewriteHeader(good, (h) => { h.kernels[0].counts.fn = 'many'; }));
    files.escape = path.join(tmp, 'escape.atlas');
    fs.writeFileSync(files.escape, rewriteHeader(good, (h) => { h.kernels[0].meta.id = 'k\u001b[2J\u001b]0;pwned\u0007'; }));

    // A kernel whose only hazardous function has hostile caller names.
    const facts: KernelFacts = realKernelSlice('ubuntu-22.04', 400);
    const base = facts.functions.find((f) => f.name === 'vfs_read')!;
    facts.functions.push({
      ...base, name: 'hostile_fn', symbols: ['hostile_fn'], inline: 'partial', inlinedSites: 3,
      inlinedInto: ['<img src=x onerror=alert(1)>', '[click](command:workbench.action.terminal.new)', 'esc\u001b[2Jcaller', '*bold*_under_'],
    });
    facts.meta = { ...facts.meta, id: 'hostile-names' };
    files.names = path.join(tmp, 'names.atlas');
    fs.writeFileSync(files.names, encodeAtlas([facts], { quality: 1 }));
  });

  it('initialize is answered, each bad file is reported with its problem, and requests are answered', async () => {
    const server = await SoakServer.start({
      settings: { atlasFiles: [files.fifo, files.bomb, files.types, files.escape], targetKernels: [files.bomb, 'debian-12'], useLiveKernel: false },
      initializationOptions: { workspaceTrusted: true },
    });
    try {
      const inUse = await server.request<InUse>('bpfAtlas/atlasInUse', {}, HANG);
      const reason = (spec: string) => inUse.unresolved.find((u) => u.spec === spec)?.reason ?? `(not reported: ${JSON.stringify(inUse.unresolved)})`;
      assert.match(reason(files.fifo), /is a FIFO \(named pipe\), not an atlas file/);
      assert.match(reason(files.types), /corrupt atlas header \(kernels\[0\]\.counts\.fn is "many", expected a count\)/);
      assert.match(reason(files.escape), /kernels\[0\]\.meta\.id holds control characters/);
      const uri = pathToFileURL(path.join(tmp, 'probe.bpf.c')).href;
      const text = 'SEC("kprobe/vfs_read")\nint BPF_KPROBE(probe)\n{\n\treturn 0;\n}\n';
      await server.open(uri, text);
      const hover = await server.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: positionAt(text, 8) }, HANG);
      const md = (hover?.contents as MarkupContent | undefined)?.value ?? '';
      // The bomb's header is plausible: it is registered, and refused when its data is used.
      assert.match(md, /could not be loaded: .*bomb\.atlas: corrupt atlas file \(string table: decompresses to more than the \d+ bytes its header declares; stopped there\)/, md);
      assert.match(md, /debian-12/, 'the other target still answers');
      const kernels = await server.request<{ kernels: { id: string }[] }>('bpfAtlas/listKernels', {}, HANG);
      assert.ok(kernels.kernels.some((k) => k.id === 'debian-12'));
      assert.ok(server.alive, 'server alive');
      const logged = [...server.logs, ...server.messages.map((m) => m.message)].join('\n');
      assert.ok(!/\u001b/.test(logged), 'no escape code in what the server shows or logs');
    } finally {
      await server.stop();
    }
  });

  it('names from a file reach the hover as text: HTML, links, emphasis and escape codes are not markup', async () => {
    const server = await SoakServer.start({
      settings: { targetKernels: [files.names], useLiveKernel: false },
      initializationOptions: { workspaceTrusted: true },
    });
    try {
      const uri = pathToFileURL(path.join(tmp, 'hostile.bpf.c')).href;
      const text = 'SEC("kprobe/hostile_fn")\nint BPF_KPROBE(probe)\n{\n\treturn 0;\n}\n';
      await server.open(uri, text);
      const hover = await server.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: positionAt(text, 14) }, HANG);
      const md = (hover?.contents as MarkupContent | undefined)?.value ?? '';
      assert.match(md, /partially-inlined/, `the hazard is shown: ${md}`);
      assert.match(md, /\\<img src=x onerror=alert\(1\)\\>/, 'HTML escaped');
      assert.match(md, /\\\[click\\\]\(command:workbench/, 'no link');
      assert.match(md, /\\\*bold\\\*\\_under\\_/, 'no emphasis');
      assert.match(md, /esc\ufffd\\\[2Jcaller/, 'the escape character replaced');
      assert.ok(!/<img|\u001b|\]\(command:/.test(md.replace(/\\<img/g, '').replace(/\\\]\(command:/g, '')), md);
    } finally {
      await server.stop();
    }
  });
});
