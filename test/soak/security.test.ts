// Security over a real connection (issue 7, issue 4).
// 1. Untrusted workspace: a canary atlas file (a valid atlas adding kernel id `soak-canary-<pid>`)
//    named by workspace settings must not be read. Two routes are checked: through the extension's
//    own trust filter (client/src/trust.ts restrictForTrust, applied here to the configuration
//    answer exactly as the VS Code client's middleware does) for atlasFiles, and the server's own
//    guard for targetKernels entries that are paths. "Not read" is checked twice: the canary id is
//    absent from bpfAtlas/listKernels, and, when strace is installed, no open of the canary path
//    appears in the server's syscall trace. A trusted session with the same settings must list the
//    canary, so the check can fail.
// 2. No processes, no network: the whole session (startup, live kernel read, documents, requests,
//    lookup, live index build, shutdown) runs under `strace -f -e trace=execve,clone,fork,vfork,
//    clone3,socket,connect`; the only execve allowed is the server's own start, the only threads
//    are clone(CLONE_THREAD) ones, and there is no socket() or connect() at all. Without strace the
//    same is checked, more weakly, by sampling /proc/<pid>/fd (no socket:[...] beyond the stdio
//    fds 0-2, which node's spawn creates as a socketpair) and
//    /proc/<pid>/task/*/children (no child processes) throughout the session.
// A request that spawned a process or opened a socket would show in both.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeAtlasFile } from '../../server/src/atlas/format';
import type { KernelFacts } from '../../server/src/atlas/model';
import { restrictForTrust } from '../../client/src/trust';
import { fixturePrograms, positionAt, SoakServer } from './server';

const CANARY = `soak-canary-${process.pid}`;

/** strace on PATH; SOAK_NO_STRACE=1 forces the /proc fallback (to check it). */
function hasStrace(): boolean {
  if (process.env.SOAK_NO_STRACE === '1') return false;
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function canaryFacts(): KernelFacts {
  return {
    meta: {
      id: CANARY, release: '9.99.0-canary', version: '9.99', arch: 'amd64', source: 'file',
      provenance: 'bpf-atlas soak test canary: listed only if the file was read',
      coverage: { inline: 'none', ftrace: false, blacklist: false, modules: false, btf: true, exactFieldOffsets: false },
      counts: { functions: 0, tracepoints: 0, syscalls: 0, lsmHooks: 0 },
    },
    functions: [], tracepoints: [], syscalls: [], lsmHooks: [], extraSymbols: [], kfuncs: [],
  };
}

describe('security over a real connection', () => {
  let dir: string;
  let canaryFile: string;
  let canaryTarget: string;
  const strace = hasStrace();

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-soak-security-'));
    canaryFile = path.join(dir, 'workspace-atlas-files.atlas');
    canaryTarget = path.join(dir, 'workspace-target.atlas');
    writeAtlasFile(canaryFile, [canaryFacts()], { quality: 1 });
    writeAtlasFile(canaryTarget, [{ ...canaryFacts(), meta: { ...canaryFacts().meta, id: `${CANARY}-target` } }], { quality: 1 });
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a server (under strace when available), runs `session`, stops it; returns the trace. */
  async function traced(options: Parameters<typeof SoakServer.start>[0], session: (s: SoakServer) => Promise<void>, syscalls: string): Promise<string | undefined> {
    const traceFile = path.join(dir, `trace-${Date.now()}.txt`);
    const wrapper = strace ? ['strace', '-f', '-qq', '-e', `trace=${syscalls}`, '-o', traceFile] : undefined;
    const server = await SoakServer.start({ ...options, wrapper });
    try {
      await session(server);
      assert.ok(server.alive, 'server alive at the end of the session');
    } finally {
      await server.stop();
    }
    return strace ? fs.readFileSync(traceFile, 'utf8') : undefined;
  }

  /** The bpfAtlas section as the VS Code client forwards it: the workspace's value of a file
   *  setting replaced by the user's own (none here) when the workspace is not trusted. */
  function asForwarded(workspaceSection: Record<string, unknown>, trusted: boolean): unknown {
    return restrictForTrust(workspaceSection, trusted, (key) => ({ defaultValue: [], workspaceValue: workspaceSection[key] }));
  }

  async function kernelIds(server: SoakServer): Promise<string[]> {
    const r = await server.request<{ kernels: { id: string }[] }>('bpfAtlas/listKernels', {});
    return r.kernels.map((k) => k.id);
  }

  const workspaceSettings = () => ({ atlasFiles: [canaryFile], targetKernels: [canaryTarget, 'debian-12'], useLiveKernel: false });

  it('untrusted workspace: atlas files named by workspace settings are not read', async (t) => {
    let ids: string[] = [];
    let inUse: { workspaceTrusted: boolean; unresolved: { spec: string; reason: string }[] } | undefined;
    const trace = await traced({
      settings: asForwarded(workspaceSettings(), false),
      initializationOptions: { workspaceTrusted: false },
    }, async (server) => {
      ids = await kernelIds(server);
      inUse = await server.request('bpfAtlas/atlasInUse', {});
    }, 'openat,open,stat,statx,newfstatat,access,faccessat,faccessat2');
    assert.equal(inUse?.workspaceTrusted, false);
    assert.ok(!ids.some((id) => id.startsWith(CANARY)), `no canary kernel listed: ${ids.join(', ')}`);
    assert.ok(inUse?.unresolved.some((u) => u.spec === canaryTarget && /untrusted/.test(u.reason)), `the path target is reported as not read: ${JSON.stringify(inUse?.unresolved)}`);
    if (trace !== undefined) {
      const touched = trace.split('\n').filter((l) => l.includes(dir));
      assert.deepEqual(touched, [], 'no syscall on the workspace atlas files');
      t.diagnostic(`strace: ${trace.split('\n').length} file syscalls, none on ${dir}`);
    } else {
      t.diagnostic('strace not installed: checked through listKernels only');
    }
  });

  it('trusted workspace, same settings: the canary kernels are listed (the check above can fail)', async () => {
    const server = await SoakServer.start({ settings: asForwarded(workspaceSettings(), true), initializationOptions: { workspaceTrusted: true } });
    try {
      const ids = await kernelIds(server);
      assert.ok(ids.includes(CANARY), `canary from atlasFiles listed: ${ids.join(', ')}`);
      assert.ok(ids.some((id) => id === `${CANARY}-target` || id === canaryTarget), `canary from targetKernels listed: ${ids.join(', ')}`);
    } finally {
      await server.stop();
    }
  });

  // A client that reports an untrusted workspace but forwards the workspace's atlasFiles
  // unfiltered (VS Code filters; other clients may not): the server guards by itself and reads
  // no atlas file named by settings, and says so (shown once, naming the file).
  it('untrusted session, atlasFiles forwarded unfiltered: the server itself does not read them', async () => {
    const server = await SoakServer.start({ settings: workspaceSettings(), initializationOptions: { workspaceTrusted: false } });
    try {
      const ids = await kernelIds(server);
      assert.ok(!ids.includes(CANARY), `the server read ${canaryFile} in an untrusted session: ${ids.join(', ')}`);
      const inUse = await server.request<{ unresolved: { spec: string; reason: string }[] }>('bpfAtlas/atlasInUse', {});
      assert.ok(inUse.unresolved.some((u) => u.spec === canaryFile && /trusted workspaces only/.test(u.reason)), `reported: ${JSON.stringify(inUse.unresolved)}`);
      assert.equal(server.messages.filter((m) => m.message.includes(path.basename(canaryFile))).length, 1, 'shown once');
    } finally {
      await server.stop();
    }
  });

  it('a whole session spawns no process and opens no socket', async (t) => {
    const programs = fixturePrograms();
    const seen = { sockets: 0, children: 0, samples: 0 };
    let poller: NodeJS.Timeout | undefined;
    const trace = await traced({ settings: { targetKernels: [], useLiveKernel: true }, env: { XDG_CACHE_HOME: dir } }, async (server) => {
      const sample = () => {
        try {
          // With strace the spawned pid is strace's; the server is its child, so /proc sampling
          // only applies without strace.
          if (strace) return;
          seen.samples++;
          // fds 0-2 are the stdio pipes, which node's spawn makes from a Unix socketpair.
          for (const fd of fs.readdirSync(`/proc/${server.pid}/fd`)) {
            if (Number(fd) > 2 && fs.readlinkSync(`/proc/${server.pid}/fd/${fd}`).startsWith('socket:')) seen.sockets++;
          }
          for (const task of fs.readdirSync(`/proc/${server.pid}/task`)) {
            if (fs.readFileSync(`/proc/${server.pid}/task/${task}/children`, 'utf8').trim()) seen.children++;
          }
        } catch {
          /* the process may be exiting */
        }
      };
      poller = setInterval(sample, 20);
      for (const p of programs) await server.open(p.uri, p.text, p.languageId);
      for (const p of programs) {
        const at = positionAt(p.text, Math.max(0, p.text.indexOf('SEC("') + 6, p.text.indexOf(':') + 1));
        await server.request('textDocument/completion', { textDocument: { uri: p.uri }, position: at });
        await server.request('textDocument/hover', { textDocument: { uri: p.uri }, position: at });
        await server.request('textDocument/codeAction', { textDocument: { uri: p.uri }, range: { start: at, end: at }, context: { diagnostics: [] } });
      }
      await server.request('bpfAtlas/lookup', { query: 'kprobe:vfs_read' });
      await server.request('bpfAtlas/atlasInUse', {});
      await server.request('bpfAtlas/buildLiveAtlas', {});
      await server.request('bpfAtlas/listKernels', {});
      clearInterval(poller);
    }, 'execve,execveat,fork,vfork,clone,clone3,socket,connect').finally(() => clearInterval(poller));
    if (trace !== undefined) {
      const lines = trace.split('\n').filter((l) => l.trim() && !/^\d+\s+\+\+\+ exited/.test(l));
      const execs = lines.filter((l) => /\bexecve(at)?\(/.test(l));
      const network = lines.filter((l) => /\b(socket|connect)\(/.test(l));
      const processes = lines.filter((l) => /\b(fork|vfork)\(/.test(l) || (/\bclone3?\(/.test(l) && !/CLONE_THREAD/.test(l)));
      t.diagnostic(`strace: ${lines.length} traced calls; execve ${execs.length}, socket/connect ${network.length}, non-thread clones ${processes.length}`);
      assert.equal(execs.length, 1, `only the server's own start: ${execs.join('\n')}`);
      assert.ok(execs[0].includes(process.execPath), execs[0]);
      assert.deepEqual(network, [], 'no socket or connect');
      assert.deepEqual(processes, [], 'no child process');
    } else {
      t.diagnostic(`strace not installed: ${seen.samples} /proc samples, ${seen.sockets} socket fds, ${seen.children} children`);
      assert.ok(seen.samples > 10, 'sampled during the session');
      assert.equal(seen.sockets, 0, 'no socket fd');
      assert.equal(seen.children, 0, 'no child process');
    }
  });
});
