// Extension tests inside a real VS Code extension host (code-server's), over the vscode API, on the
// real programs in test/e2e/workspace: activation, language registration, completion, hover,
// diagnostics, a quick fix that rewrites the hook, the outline, code lenses (resolved, and their
// command), go to definition into the generated kernel headers, the walkthrough and the custom
// commands. No sleeps: each step
// waits for the event it needs (diagnostics change, a provider answer) with a deadline.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as vscode from 'vscode';

const EXTENSION_ID = 'bpf-atlas.bpf-atlas';

function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests need test/e2e/workspace opened as the folder');
  return vscode.Uri.joinPath(folder.uri, name);
}

/** Position just after the first occurrence of `marker` (plus `offset` characters). */
function after(doc: vscode.TextDocument, marker: string, offset = 0): vscode.Position {
  const i = doc.getText().indexOf(marker);
  assert.ok(i >= 0, `marker ${JSON.stringify(marker)} not found in ${doc.uri.fsPath}`);
  return doc.positionAt(i + marker.length + offset);
}

/** Waits until `pick` finds something in the document's diagnostics (event driven). */
function waitForDiagnostics(uri: vscode.Uri, pick: (d: readonly vscode.Diagnostic[]) => boolean, ms = 30_000): Promise<readonly vscode.Diagnostic[]> {
  const now = vscode.languages.getDiagnostics(uri);
  if (pick(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`diagnostics for ${uri.fsPath} never matched; last: ${JSON.stringify(vscode.languages.getDiagnostics(uri).map((d) => d.message))}`));
    }, ms);
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (!e.uris.some((u) => u.toString() === uri.toString())) return;
      const ds = vscode.languages.getDiagnostics(uri);
      if (!pick(ds)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(ds);
    });
  });
}

/** Waits until a tab that `pick` accepts is open (the workbench tells the extension host about
 *  new tabs after the command that opened them has returned). */
function waitForTab(pick: (t: vscode.Tab) => boolean, ms = 30_000): Promise<vscode.Tab> {
  const find = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find(pick);
  const now = find();
  if (now) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no such tab; tabs: ${JSON.stringify(vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => t.label))}`));
    }, ms);
    const sub = vscode.window.tabGroups.onDidChangeTabs(() => {
      const tab = find();
      if (!tab) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(tab);
    });
  });
}

/** Retries a provider command until it answers with something `ok` accepts (the server may still be
 *  starting); each retry is triggered by the previous answer, not a timer. */
async function until<T>(what: string, ask: () => Thenable<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T;
  do {
    last = await ask();
    if (ok(last)) return last;
    await new Promise((r) => setImmediate(r));
  } while (Date.now() < deadline);
  assert.fail(`${what}: no matching answer within ${ms} ms; last: ${JSON.stringify(last).slice(0, 500)}`);
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
}

suite('bpf-atlas extension in a real VS Code extension host', () => {
  let doc: vscode.TextDocument;

  suiteSetup(async () => {
    doc = await vscode.workspace.openTextDocument(workspaceFile('probes.bpf.c'));
    await vscode.window.showTextDocument(doc);
  });

  teardown(async () => {
    // Leave the fixture as it was on disk: nothing is ever saved.
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  test('activates on a C file and starts the language server', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is loaded`);
    assert.equal(doc.languageId, 'c');
    await ext.activate();
    assert.ok(ext.isActive);
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['bpfAtlas.pickTargetKernels', 'bpfAtlas.lookup', 'bpfAtlas.buildLiveAtlas', 'bpfAtlas.showAtlasInUse', 'bpfAtlas.restartServer']) {
      assert.ok(commands.includes(c), `command ${c} registered`);
    }
  });

  test('a .bt file is bpftrace', async () => {
    const bt = await vscode.workspace.openTextDocument(workspaceFile('drops.bt'));
    assert.equal(bt.languageId, 'bpftrace');
  });

  test('completion inside SEC("tracepoint/sched/ offers sched_switch', async () => {
    const pos = after(doc, 'SEC("tracepoint/sched/');
    const list = await until('completion', () => vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, pos),
      (l) => l.items.some((i) => (typeof i.label === 'string' ? i.label : i.label.label) === 'sched_switch'));
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(labels.includes('sched_wakeup'), 'other sched events are offered too');
    assert.ok(!labels.includes('kfree_skb'), 'events of other systems are not offered');
  });

  test('hover on the tracepoint shows its record fields', async () => {
    const pos = after(doc, 'SEC("tracepoint/sched/sched_sw');
    const hovers = await until('hover', () => vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos), (h) => h.length > 0);
    const text = hoverText(hovers);
    assert.match(text, /sched_switch/);
    assert.match(text, /next_pid/);
  });

  test('with no setting the targets are the defaults (the running kernel when readable)', async () => {
    const inUse = await vscode.commands.executeCommand<{ targets: { id: string }[]; unresolved: unknown[] }>('bpfAtlas.showAtlasInUse');
    assert.ok(inUse.targets.length >= 1, 'at least one default target kernel');
    assert.deepEqual(inUse.unresolved, []);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('the kprobe on kfree_skb is an error on Debian 12, and its quick fix rewrites the hook', async () => {
    // Debian 12's atlas carries DWARF inline data: there kfree_skb is known to be fully inlined.
    // (On the running kernel alone there is no DWARF, so it can only be "not found".) The user
    // settings of this run's fresh profile are changed, as the kernel picker would.
    await vscode.workspace.getConfiguration('bpfAtlas').update('targetKernels', ['debian-12', 'live'], vscode.ConfigurationTarget.Global);
    await vscode.window.showTextDocument(doc);
    const line = after(doc, 'SEC("kprobe/kfree_skb').line;
    // Wait for the diagnostic of the new targets: on `live` alone kfree_skb is already an error
    // (absent), published before the settings change reaches the server.
    const isNew = (d: vscode.Diagnostic) => d.range.start.line === line && d.severity === vscode.DiagnosticSeverity.Error && /debian-12/.test(d.message);
    const diags = await waitForDiagnostics(doc.uri, (ds) => ds.some(isNew));
    const diag = diags.find(isNew)!;
    assert.match(diag.message, /kfree_skb/);
    assert.equal(typeof diag.code === 'object' ? diag.code.value : diag.code, 'fully-inlined');
    assert.ok(!diags.some((d) => d.range.start.line === after(doc, 'SEC("tracepoint/sched/sched_switch').line && d.severity === vscode.DiagnosticSeverity.Error),
      'the sched_switch tracepoint is not an error');

    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, diag.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.edit && /(tp_btf|raw_tp|tracepoint|tp)\/(skb\/)?kfree_skb/.test(a.title));
    assert.ok(fix, `a quick fix to a kfree_skb tracepoint; got ${JSON.stringify(actions.map((a) => a.title))}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    assert.match(doc.getText(), /SEC\("(tp_btf|raw_tp|tracepoint|tp)\/(skb\/)?kfree_skb"\)/);
    assert.doesNotMatch(doc.getText(), /SEC\("kprobe\/kfree_skb"\)/);
    // The error goes away once the server has re-checked the edited text.
    await waitForDiagnostics(doc.uri, (ds) => !ds.some((d) => d.severity === vscode.DiagnosticSeverity.Error && d.range.start.line === line));
  });

  // The targets are debian-12 and live from here on (set by the test above).

  test('the outline lists the programs, the map and the licence', async () => {
    await vscode.window.showTextDocument(doc);
    const symbols = await until('document symbols', () => vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri),
      (s) => Array.isArray(s) && s.length > 0);
    const names = symbols.map((s) => s.name);
    for (const name of ['handle_sched_switch', 'trace_kfree_skb', 'switches', 'LICENSE']) assert.ok(names.includes(name), `${name} in the outline: ${JSON.stringify(names)}`);
    const program = symbols.find((s) => s.name === 'handle_sched_switch')!;
    assert.match(program.detail, /tracepoint\/sched\/sched_switch/);
    assert.equal(program.range.start.line, after(doc, 'SEC("tracepoint/sched/sched_switch').line, 'the program starts at its SEC line');
    assert.ok(program.children.some((c) => c.name === 'ctx'), `ctx under the program: ${JSON.stringify(program.children.map((c) => c.name))}`);
    assert.match(symbols.find((s) => s.name === 'switches')!.detail, /hash/i);
  });

  test('a code lens above each program says where it attaches and opens the per-kernel table', async () => {
    // The second argument resolves the lenses (codeLens/resolve), as the editor does when they scroll into view.
    const lenses = await until('code lenses', () => vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 10),
      (ls) => ls.length === 2 && ls.every((l) => l.command?.title));
    const byLine = new Map(lenses.map((l) => [l.range.start.line, l.command!]));
    const sched = byLine.get(after(doc, 'SEC("tracepoint/sched/sched_switch').line);
    const kprobe = byLine.get(after(doc, 'SEC("kprobe/kfree_skb').line);
    assert.ok(sched && kprobe, `a lens on each SEC line: ${JSON.stringify(lenses.map((l) => [l.range.start.line, l.command?.title]))}`);
    assert.match(sched.title, /^attaches on (all 2 targets|1\/2 targets)/);
    // Fully inlined on Debian 12: the lens names it with the reason, each kernel once.
    assert.match(kprobe.title, /^attaches on [01]\/2 targets · fails on [^·]*debian-12[^·]*\(fully inlined\)/);
    assert.equal(kprobe.command, 'bpfAtlas.lookup');
    assert.deepEqual(kprobe.arguments, ['kprobe/kfree_skb']);
    // Its command opens the per-kernel table, rendered.
    await vscode.commands.executeCommand(kprobe.command, ...(kprobe.arguments ?? []));
    const preview = await waitForTab((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes('markdown.preview') && /kfree_skb/.test(t.label));
    assert.match(preview.label, /lookup/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('go to definition lands in a generated, read-only header of the kernel: the tracepoint record, a field, a kprobe\'s prototype', async () => {
    doc = await vscode.workspace.openTextDocument(workspaceFile('probes.bpf.c'));
    await vscode.window.showTextDocument(doc);
    type Target = vscode.Location | vscode.LocationLink;
    const uriOf = (l: Target) => ('targetUri' in l ? l.targetUri : l.uri);
    const rangeOf = (l: Target) => ('targetUri' in l ? (l.targetSelectionRange ?? l.targetRange) : l.range);
    const lineAt = async (l: Target) => (await vscode.workspace.openTextDocument(uriOf(l))).lineAt(rangeOf(l).start.line).text;

    const record = await until('definition of the tracepoint', () => vscode.commands.executeCommand<Target[]>('vscode.executeDefinitionProvider', doc.uri, after(doc, 'SEC("tracepoint/sched/sched_sw')),
      (ls) => ls.length > 0);
    for (const l of record) {
      const header = await vscode.workspace.openTextDocument(uriOf(l));
      assert.match(header.uri.fsPath, /bpf-atlas\/headers\/tracepoint\/.*\.h$/);
      assert.match(header.lineAt(0).text, /^\/\* bpf-atlas: tracepoint sched\/sched_switch as declared on .*(debian-12|live)/);
      assert.match(header.lineAt(rangeOf(l).start.line).text, /struct trace_event_raw_sched_switch \{/);
      assert.equal(fs.statSync(header.uri.fsPath).mode & 0o222, 0, 'the header is read-only');
    }
    const field = await vscode.commands.executeCommand<Target[]>('vscode.executeDefinitionProvider', doc.uri, after(doc, 'ctx->next_'));
    assert.ok(field.length > 0, 'definition of ctx->next_pid');
    for (const l of field) assert.match(await lineAt(l), /\bnext_pid;/);

    const proto = await vscode.commands.executeCommand<Target[]>('vscode.executeDefinitionProvider', doc.uri, after(doc, 'SEC("kprobe/kfree_'));
    assert.ok(proto.length > 0, 'definition of the kprobe target');
    assert.ok((await Promise.all(proto.map(lineAt))).some((t) => /\bkfree_skb\w*\(/.test(t)), 'a prototype of kfree_skb');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('lookup and atlas-in-use commands answer from the server; the lookup opens rendered', async () => {
    const lookup = await vscode.commands.executeCommand<{ assessments: unknown[]; markdown: string; error?: string }>('bpfAtlas.lookup', 'tracepoint:sched:sched_switch');
    assert.ok(lookup, 'lookup returned a result');
    assert.equal(lookup.error, undefined);
    assert.ok(lookup.assessments.length >= 1);
    assert.match(lookup.markdown, /sched_switch/);
    // Rendered by VS Code's Markdown preview (a webview), not opened as Markdown source.
    const isPreview = (t: vscode.Tab) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes('markdown.preview');
    const preview = await waitForTab(isPreview);
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs);
    assert.match(preview.label, /lookup/);
    assert.ok(!tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.scheme === 'bpf-atlas'), 'no Markdown source tab');
    const inUse = await vscode.commands.executeCommand<{ targets: { id: string }[]; workspaceTrusted: boolean }>('bpfAtlas.showAtlasInUse');
    assert.ok(inUse.targets.length >= 1, 'at least one target kernel');
    assert.equal(inUse.workspaceTrusted, true);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('the walkthrough opens, and its commands write a CI configuration and an atlas target', async () => {
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${EXTENSION_ID}#gettingStarted`, false);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    // The CI step: a GitHub Actions workflow with the target kernels (the settings name debian-12
    // and live since the quick fix test; live is the runner's own kernel and is left out).
    const ci = await vscode.commands.executeCommand<{ file: string; kernels: string[]; dropped: string[] }>('bpfAtlas.addCiConfig', 'github');
    const workflow = vscode.Uri.file(ci.file);
    try {
      assert.deepEqual(ci.kernels, ['debian-12']);
      assert.deepEqual(ci.dropped, ['live']);
      const text = vscode.window.activeTextEditor?.document.getText() ?? '';
      assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, workflow.fsPath);
      assert.match(text, /check --no-live --kernel debian-12 --format sarif \. > bpf-atlas\.sarif/);
      assert.match(text, /upload-sarif/);
    } finally {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await vscode.workspace.fs.delete(vscode.Uri.joinPath(workflow, '../..'), { recursive: true, useTrash: false });
    }

    // The host step: the commands name this extension's CLI, which exists; an atlas file becomes
    // a target next to the ones in use.
    const commands = await vscode.commands.executeCommand<string>('bpfAtlas.copyHostCommands');
    assert.equal(await vscode.env.clipboard.readText(), commands);
    const cli = /^scp (\S+) HOST:/.exec(commands)?.[1];
    assert.ok(cli && cli.endsWith('dist/cli.js'), commands);
    await vscode.workspace.fs.stat(vscode.Uri.file(cli));
    const atlas = '/var/tmp/prod-host.atlas';
    const settingsFolder = workspaceFile('.vscode');
    const hadSettings = await Promise.resolve(vscode.workspace.fs.stat(settingsFolder)).then(() => true, () => false);
    const targets = await vscode.commands.executeCommand<string[]>('bpfAtlas.addAtlasFile', atlas);
    assert.deepEqual(targets, ['debian-12', 'live', atlas]);
    const config = vscode.workspace.getConfiguration('bpfAtlas');
    assert.deepEqual(config.inspect<string[]>('targetKernels')?.workspaceValue, targets);
    await config.update('targetKernels', undefined, vscode.ConfigurationTarget.Workspace);
    if (!hadSettings) await vscode.workspace.fs.delete(settingsFolder, { recursive: true, useTrash: false });
  });

  test('restart brings the server back with the same answers', async () => {
    await vscode.commands.executeCommand('bpfAtlas.restartServer');
    doc = await vscode.workspace.openTextDocument(workspaceFile('probes.bpf.c'));
    await vscode.window.showTextDocument(doc);
    const pos = after(doc, 'SEC("tracepoint/sched/');
    await until('completion after restart', () => vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, pos),
      (l) => l.items.some((i) => (typeof i.label === 'string' ? i.label : i.label.label) === 'sched_switch'));
  });
});
