// UI test of the packaged extension in the real VS Code workbench (code-server + headless chromium,
// driven by playwright-core), done the way a new user would: install dist/bpf-atlas.vsix, open a
// folder with a libbpf program, type a section and pick `sched_switch` from the suggestion list,
// hover the tracepoint, pick Debian 12 as a target kernel with the kernel picker, read the code
// lenses, the outline and go to definition (F12) into a generated kernel header, read the error
// count in the status bar and the entry in the Problems panel, apply the quick fix, look up the
// tracepoint (a rendered report) and open the walkthrough. Every wait
// is for something on the page; screenshots go to test/e2e/artifacts/. One workbench session for
// all steps (starting the workbench dominates the cost).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import {
  ARTIFACTS, type CodeServer, installVsix, launchBrowser, makeDirs, missingEditors, removeDirs, ROOT, startCodeServer,
  stopCodeServer, WORKSPACE,
} from './harness/editors';

const VSIX = path.join(ROOT, 'dist/bpf-atlas.vsix');
const STEP_MS = 30_000;

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

/** Runs a command from the command palette (F1), as a user does. */
async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: STEP_MS });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: title.replace(/^.*: /, '') }).first().waitFor({ timeout: STEP_MS });
  await page.keyboard.press('Enter');
}

/** Waits (on animation frames, in the page) until the error count of the status bar's problems
 *  item (`status.problems`) passes `ok`, an expression over `n`. */
async function waitForErrorCount(page: Page, ok: string): Promise<number> {
  // Evaluated in the page (a string, so this file needs no DOM typings).
  const expression = `(() => {
    const item = document.getElementById('status.problems');
    const label = (item && (item.getAttribute('aria-label') || (item.querySelector('[aria-label]') || item).getAttribute('aria-label'))) || '';
    const m = /(\\d+)\\s+errors?/i.exec(label);
    // Without a usable label: the item's text is "<errors> <warnings> [<infos>]" after the icons.
    const t = item ? /(\\d+)/.exec(item.textContent || '') : null;
    const n = m ? Number(m[1]) : /no problems/i.test(label) ? 0 : t ? Number(t[1]) : -1;
    return n >= 0 && (${ok}) ? String(n) : false;
  })()`;
  const handle = await page.waitForFunction(expression, undefined, { timeout: STEP_MS, polling: 'raf' });
  return Number(await handle.jsonValue());
}

test('the packaged extension in the real VS Code workbench: complete, hover, pick kernels, code lens, outline, definition, Problems, quick fix, lookup, walkthrough', async () => {
  const missing = missingEditors();
  assert.equal(missing, undefined, missing);
  assert.ok(fs.existsSync(VSIX), `${VSIX} missing: run npm run package`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.rmSync(path.join(ARTIFACTS, 'failure.png'), { force: true });
  const timings: Record<string, number> = {};
  let t = Date.now();
  const mark = (step: string) => {
    timings[step] = Date.now() - t;
    t = Date.now();
  };

  const dirs = makeDirs('ui-');
  // A copy of the workspace: the test edits files and the kernel picker writes .vscode/settings.json.
  const workspace = path.join(dirs.tmp, 'workspace');
  fs.cpSync(WORKSPACE, workspace, { recursive: true });
  let server: CodeServer | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  let passed = false;
  try {
    const installed = installVsix(dirs, VSIX);
    assert.match(installed, /was successfully installed/);
    mark('installVsix');
    server = await startCodeServer(dirs, [], workspace);
    context = await launchBrowser(dirs);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => console.error(`[pageerror] ${e.message}`));
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'probes.bpf.c' });
    await row.waitFor({ timeout: 60_000 });
    mark('workbench');

    // Open the program: C language mode, and the extension's status bar item with the targets.
    await row.click();
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.locator('.view-lines', { hasText: 'handle_sched_switch' }).waitFor({ timeout: STEP_MS });
    await page.locator('.statusbar-item', { hasText: /^C$/ }).first().waitFor({ timeout: STEP_MS });
    const status = page.locator('.statusbar-item', { hasText: /BPF: (?!starting|reading)/ }).first();
    await status.waitFor({ timeout: 60_000 });
    console.log(`status bar: ${JSON.stringify(await status.innerText())}`);
    mark('openAndActivate');

    // Type a new section at the end of the file; `/` triggers the suggestions.
    await editor.locator('.view-lines').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.keyboard.type('SEC("tracepoint/sched/');
    const suggestions = page.locator('.editor-widget.suggest-widget .monaco-list-row');
    try {
      await suggestions.first().waitFor({ timeout: 10_000 });
    } catch {
      await page.keyboard.press('Control+Space');
      await suggestions.first().waitFor({ timeout: STEP_MS });
    }
    const shown = await page.$$eval('.editor-widget.suggest-widget .monaco-list-row', (els) =>
      els.map((e) => (e.querySelector('.label-name') ?? e).textContent?.trim() ?? ''));
    console.log(`suggestions on the page: ${JSON.stringify(shown)}`);
    assert.ok(shown.every((l) => l.startsWith('sched_')), 'only sched events are suggested');
    // The list is virtualised (only visible rows exist): narrow it as a user would.
    await page.keyboard.type('sched_sw');
    const switchRow = page.locator('.editor-widget.suggest-widget .monaco-list-row', { hasText: 'sched_switch' });
    await switchRow.first().waitFor({ timeout: STEP_MS });
    await shot(page, 'completion');
    await switchRow.first().click();
    // The accepted item completes the new line (whether `")` follows depends on Monaco's
    // auto-closing, which keystroke timing decides).
    await editor.locator('.view-line', { hasText: 'SEC("tracepoint/sched/sched_switch' }).nth(1).waitFor({ timeout: STEP_MS });
    mark('completion');

    // Hover the tracepoint of the existing handler: its record fields from the atlas.
    const token = editor.locator('.view-line span span', { hasText: 'sched_switch' }).first();
    await token.hover();
    const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'next_pid' });
    await hover.first().waitFor({ timeout: STEP_MS });
    console.log(`hover on the page: ${JSON.stringify((await hover.first().innerText()).slice(0, 300))}`);
    await shot(page, 'hover');
    await page.keyboard.press('Escape');
    mark('hover');

    // Pick Debian 12 (which has DWARF inline data) as a target kernel with the picker.
    await page.keyboard.press('Escape');
    const input = page.locator('.quick-input-widget input');
    await runCommand(page, 'bpf-atlas: Pick Target Kernels');
    const debian12 = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'debian-12' }).first();
    await debian12.waitFor({ timeout: STEP_MS });
    const kernelsShown = await page.$$eval('.quick-input-widget .monaco-list-row', (els) => els.map((e) => e.textContent?.trim() ?? ''));
    console.log(`kernel picker: ${JSON.stringify(kernelsShown.map((k) => k.slice(0, 60)))}`);
    // Checked already when the defaults include it (no readable running kernel): keep it checked.
    const wasChecked = (await debian12.getAttribute('aria-checked')) === 'true';
    console.log(`debian-12 checked before: ${wasChecked}`);
    if (!wasChecked) {
      await debian12.locator('.quick-input-list-checkbox, input[type=checkbox], .monaco-checkbox').first().click();
      await page.locator('.quick-input-widget .monaco-list-row[aria-checked="true"]', { hasText: 'debian-12' }).waitFor({ timeout: STEP_MS });
    }
    await shot(page, 'kernel-picker');
    await page.locator('.quick-input-widget').getByRole('button', { name: 'OK' }).click();
    await page.locator('.statusbar-item', { hasText: /BPF: .*debian-12/ }).first().waitFor({ timeout: 60_000 });
    mark('pickKernels');

    // A code lens above each program: where it attaches over the targets (resolved lazily).
    await editor.locator('.view-lines').click();
    await page.keyboard.press('Control+Home');
    const lens = editor.locator('.codelens-decoration', { hasText: /fails on .*debian-12.*fully inlined/ });
    await lens.first().waitFor({ timeout: 60_000 });
    const lenses = await editor.locator('.codelens-decoration').allInnerTexts();
    console.log(`code lenses: ${JSON.stringify(lenses)}`);
    assert.ok(lenses.some((l) => /^attaches on (all 2 targets|\d\/2 targets)/.test(l)), 'the sched_switch program has its lens');
    await shot(page, 'codelens');
    mark('codeLens');

    // The outline (Explorer's Outline view): the programs, the map and the licence.
    await runCommand(page, 'Explorer: Focus on Outline View');
    const outline = page.locator('.pane-body .monaco-list-row', { hasText: 'handle_sched_switch' });
    await outline.first().waitFor({ timeout: STEP_MS });
    for (const name of ['trace_kfree_skb', 'switches', 'LICENSE']) {
      await page.locator('.pane-body .monaco-list-row', { hasText: name }).first().waitFor({ timeout: STEP_MS });
    }
    await shot(page, 'outline');
    mark('outline');

    // Go to definition (F12) on ctx->next_pid: the record in a generated, read-only header of
    // each kernel (a peek with the kernels to choose from when they differ, else the header itself).
    // `ctx->next_pid` is one uncoloured token: put the cursor in the field with Go to Line/Column.
    const source = fs.readFileSync(path.join(workspace, 'probes.bpf.c'), 'utf8').split('\n');
    const fieldLine = source.findIndex((l) => l.includes('ctx->next_pid'));
    await runCommand(page, 'Go to Line/Column');
    await input.fill(`:${fieldLine + 1}:${source[fieldLine].indexOf('ctx->next_pid') + 'ctx->next_'.length + 1}`);
    await page.keyboard.press('Enter');
    await page.keyboard.press('F12');
    const landed = page.locator('.peekview-widget .view-line, .tabs-container .tab', { hasText: /next_pid;|sched_switch@/ });
    await landed.first().waitFor({ timeout: STEP_MS });
    const peek = await page.locator('.peekview-widget').count() > 0;
    console.log(`definition: ${peek ? 'peek' : 'editor tab'}: ${JSON.stringify((await landed.first().innerText()).slice(0, 120))}`);
    await page.locator('.view-line', { hasText: /bpf-atlas: tracepoint sched\/sched_switch as declared on|pid_t\s+next_pid;/ }).first().waitFor({ timeout: STEP_MS });
    await shot(page, 'definition');
    // Back to the program (the header stays open in its preview tab, replaced by the next one).
    if (peek) await page.keyboard.press('Escape');
    else await page.locator('.tabs-container .tab', { hasText: 'probes.bpf.c' }).first().click();
    await editor.locator('.view-lines', { hasText: 'handle_sched_switch' }).waitFor({ timeout: STEP_MS });
    mark('definition');

    // The kprobe on kfree_skb is an error now: status bar count and the Problems panel.
    const errors = await waitForErrorCount(page, 'n >= 1');
    await page.keyboard.press('Control+Shift+M');
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'fully inlined' }).first();
    await problem.waitFor({ timeout: STEP_MS });
    console.log(`Problems: ${errors} error(s); ${JSON.stringify((await problem.innerText()).slice(0, 200))}`);
    await shot(page, 'problems');
    mark('problems');

    // Quick fix from the Problems entry's line: the light bulb's menu, pick the rewrite.
    await problem.click();
    await editor.locator('.view-line', { hasText: 'SEC("kprobe/kfree_skb")' }).first().waitFor({ timeout: STEP_MS });
    await editor.locator('.view-line span span', { hasText: 'kfree_skb' }).first().click();
    // The light bulb appears on the diagnostic's line; clicking it opens the quick fix menu.
    const bulb = page.locator('.lightBulbWidget').first();
    await bulb.waitFor({ timeout: STEP_MS });
    await bulb.click();
    const action = page.locator('.action-widget .monaco-list-row', { hasText: /kfree_skb/ }).first();
    await action.waitFor({ timeout: STEP_MS });
    const actions = await page.$$eval('.action-widget .monaco-list-row', (els) => els.map((e) => e.textContent?.trim() ?? ''));
    console.log(`quick fixes: ${JSON.stringify(actions)}`);
    await shot(page, 'quickfix-menu');
    await action.click();
    await editor.locator('.view-line', { hasText: /SEC\("(tp_btf|tracepoint|tp|raw_tp)\/(skb\/)?kfree_skb"\)/ }).first().waitFor({ timeout: STEP_MS });
    await waitForErrorCount(page, `n < ${errors}`);
    await shot(page, 'quickfix-applied');
    mark('quickFix');

    // Look up the tracepoint from the command palette: the report opens beside the editor,
    // rendered by VS Code's Markdown preview (a table per kernel), not as Markdown source.
    await runCommand(page, 'bpf-atlas: Look Up an Attach Point');
    // The lookup's own input box (prefilled with the section at the cursor), not the palette's.
    await page.locator('.quick-input-widget', { hasText: 'or a function name' }).waitFor({ timeout: STEP_MS });
    const query = 'tracepoint:sched:sched_switch';
    await input.fill(query);
    await page.waitForFunction(`document.querySelector('.quick-input-widget input')?.value === ${JSON.stringify(query)}`, undefined, { timeout: STEP_MS, polling: 'raf' });
    await page.keyboard.press('Enter');
    const rendered = page.frameLocator('iframe.webview').first().frameLocator('iframe#active-frame');
    await rendered.locator('table').first().waitFor({ timeout: 60_000 });
    const body = await rendered.locator('body').innerText();
    console.log(`rendered lookup: ${JSON.stringify(body.slice(0, 300))}`);
    assert.match(body, /sched_switch/);
    assert.ok(await rendered.locator('strong, th').count() > 0, 'bold text and table headers are rendered');
    assert.doesNotMatch(body, /\*\*|^\s*\|.*\|\s*$/m, 'no Markdown markup shows');
    await shot(page, 'lookup');
    mark('lookup');

    // The walkthrough, as a new user finds it (Welcome: Open Walkthrough...).
    await runCommand(page, 'Welcome: Open Walkthrough...');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Get Started with bpf-atlas' }).first().click();
    const walkthrough = page.locator('.gettingStartedContainer');
    for (const step of ['Pick your target kernels', 'Build an atlas of a production host', 'Run bpf-atlas check in CI']) {
      await walkthrough.locator('.getting-started-step', { hasText: step }).first().waitFor({ timeout: STEP_MS });
    }
    await shot(page, 'walkthrough');
    mark('walkthrough');
    console.log(`timings ms ${JSON.stringify(timings)}`);
    passed = true;
  } catch (e) {
    if (page) await shot(page, 'failure').catch(() => undefined);
    console.error(`run folder kept: ${dirs.tmp}; code-server log: ${server?.log}`);
    throw e;
  } finally {
    await context?.close().catch(() => undefined);
    await stopCodeServer(server);
  }
  if (passed) removeDirs(dirs);
});
