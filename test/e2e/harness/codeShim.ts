// A stand-in "VS Code executable" for @vscode/test-electron's runTests({ vscodeExecutablePath }):
// it takes the command line runTests passes (--extensionDevelopmentPath=…, --extensionTestsPath=…,
// a workspace folder, flags it ignores) and runs the tests in code-server's real node extension
// host, driven by headless chromium. The workbench URL carries the test payload; code-server
// honours it only with `--vscode-option enable-smoke-test-driver`, and the workbench reports the
// test module's result through window.codeAutomationExit, which playwright exposes. The exit code
// of this process is the extension host's. Started through test/e2e/bin/code.

import path from 'node:path';
import { launchBrowser, makeDirs, removeDirs, startCodeServer, stopCodeServer, withTimeout, type CodeServer } from './editors';

/** The parts of VS Code's CLI that matter here. */
export function parseCodeArgs(argv: readonly string[]): { devPaths: string[]; testsPath?: string; workspace?: string; version: boolean } {
  const devPaths: string[] = [];
  const positional: string[] = [];
  let testsPath: string | undefined;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) {
      positional.push(argv[i]);
      continue;
    }
    const [, key, inline] = m;
    const value = () => inline ?? argv[++i];
    if (key === 'extensionDevelopmentPath') devPaths.push(path.resolve(value()));
    else if (key === 'extensionTestsPath') testsPath = path.resolve(value());
    // Profile folders runTests asks for are replaced by the run's own fresh ones.
    else if (['user-data-dir', 'extensions-dir', 'folder-uri', 'file-uri', 'locale', 'log'].includes(key)) value();
    else if (key === 'version') version = true;
    // --no-sandbox, --disable-gpu-sandbox, --disable-updates, --skip-welcome, ... do not apply.
  }
  return { devPaths, testsPath, workspace: positional[0] ? path.resolve(positional[0]) : undefined, version };
}

/** Extension host messages that are offline-workbench noise, not test output. */
const NOISE = /Canceled|DefaultAccount|gallery|open-vsx|ENOTFOUND|AccountPolicyGate|socket|connection token|grace time|Service Worker|builtin extensions cache|AgentHost|authentication provider|workbench contribution/i;

async function main(): Promise<number> {
  const args = parseCodeArgs(process.argv.slice(2));
  if (args.version) {
    console.log('1.139.1\ncode-server-shim\nx64');
    return 0;
  }
  if (!args.testsPath || !args.devPaths.length) {
    console.error('code-shim: need --extensionDevelopmentPath and --extensionTestsPath');
    return 2;
  }
  const timeoutMs = Number(process.env.TEST_TIMEOUT_MS || 240_000);
  const dirs = makeDirs('exthost-');
  let server: CodeServer | undefined;
  let code = 1;
  const context = await (async () => {
    server = await startCodeServer(dirs, ['--vscode-option', 'enable-smoke-test-driver']);
    return launchBrowser(dirs);
  })().catch((e: Error) => {
    console.error(`code-shim: ${e.message}`);
    return undefined;
  });
  try {
    if (!context || !server) return 1;
    const page = context.pages()[0] ?? (await context.newPage());
    const remote = (p: string) => `vscode-remote://127.0.0.1:${server!.port}${p}`;
    if (process.env.VERBOSE === '1') {
      page.on('console', (m) => console.log(`[page ${m.type()}] ${m.text()}`));
      page.on('pageerror', (e) => console.error(`[pageerror] ${e.message}`));
    }
    let reportExit!: (code: number) => void;
    const exit = new Promise<number>((resolve) => (reportExit = resolve));
    // Both must be installed (awaited) before the workbench loads: if the binding is still being
    // set up when the page starts, the workbench finds no codeAutomationExit and the run never ends.
    await page.exposeFunction('codeAutomationLog', (type: string, messages: unknown[]) => {
      if (process.env.VERBOSE === '1' || !NOISE.test(JSON.stringify(messages))) {
        (type === 'error' ? console.error : console.log)(...(Array.isArray(messages) ? messages : [messages]));
      }
    });
    await page.exposeFunction('codeAutomationExit', (c: number) => reportExit(c));
    const payload = [
      ...args.devPaths.map((p) => ['extensionDevelopmentPath', remote(p)]),
      ['extensionTestsPath', remote(args.testsPath)],
      ['skipWelcome', 'true'],
    ];
    const folder = args.workspace ? `folder=${encodeURIComponent(args.workspace)}&` : 'ew=true&';
    await page.goto(`${server.url}/?${folder}payload=${encodeURIComponent(JSON.stringify(payload))}`);
    code = await withTimeout(exit, timeoutMs, 'the extension tests');
  } catch (e) {
    console.error(`code-shim: ${(e as Error).message}; code-server log: ${server?.log}`);
    code = 1;
  } finally {
    await context?.close().catch(() => undefined);
    await stopCodeServer(server);
  }
  if (code === 0) removeDirs(dirs);
  else console.error(`code-shim: run folder kept: ${dirs.tmp}`);
  return code;
}

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
