// Atlases of other machines (a production host): "Copy the Commands to Index a Host" puts on the
// clipboard the shell lines that copy this extension's command line tool (one file, node 20+) to a
// host, index its running kernel there (BTF and kallsyms, no root needed) and bring the atlas back;
// "Add an Atlas File as a Target Kernel" then adds the file to bpfAtlas.targetKernels, next to the
// targets in use.

import * as vscode from 'vscode';
import { ListKernelsRequest } from '../../server/src/protocol';
import { SETTINGS_SECTION } from '../../server/src/settings';
import type { Ctx } from './ctx';

function shellQuote(s: string): string {
  return /^[\w./@:+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The commands to index `host` with the CLI at `cli`. Exported for tests. */
export function hostCommands(cli: string, host = 'HOST'): string {
  return [
    `scp ${shellQuote(cli)} ${host}:/tmp/bpf-atlas.js`,
    `ssh ${host} node /tmp/bpf-atlas.js index --live -o /tmp/${host}.atlas`,
    `scp ${host}:/tmp/${host}.atlas .`,
    '',
  ].join('\n');
}

export function activate(ctx: Ctx): void {
  ctx.push(
    vscode.commands.registerCommand('bpfAtlas.copyHostCommands', async () => {
      const text = hostCommands(ctx.extension.asAbsolutePath('dist/cli.js'));
      await vscode.env.clipboard.writeText(text);
      void vscode.window.showInformationMessage(
        'bpf-atlas: the commands to index a host are on the clipboard (replace HOST; the host needs node 20 or later). Then add the .atlas file as a target kernel.',
        'Add an Atlas File…',
      ).then((choice) => choice && vscode.commands.executeCommand('bpfAtlas.addAtlasFile'));
      return text;
    }),

    vscode.commands.registerCommand('bpfAtlas.addAtlasFile', async (file?: vscode.Uri | string) => {
      let picked = typeof file === 'string' ? vscode.Uri.file(file) : file;
      if (!(picked instanceof vscode.Uri)) {
        picked = (await vscode.window.showOpenDialog({
          title: 'bpf-atlas: an atlas file built with `bpf-atlas index`',
          canSelectMany: false,
          filters: { 'bpf-atlas atlas': ['atlas'] },
          openLabel: 'Add as a target kernel',
        }))?.[0];
        if (!picked) return;
      }
      // The targets in use stay targets: an empty setting means the defaults, written out here.
      const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
      let current = config.get<string[]>('targetKernels') ?? [];
      if (!current.length) {
        const client = ctx.runningClient();
        if (client) current = (await client.sendRequest(ListKernelsRequest, {})).targets;
      }
      const targets = current.includes(picked.fsPath) ? current : [...current, picked.fsPath];
      const scope = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
      await config.update('targetKernels', targets, scope);
      if (!vscode.workspace.isTrusted && scope === vscode.ConfigurationTarget.Workspace) {
        void vscode.window.showWarningMessage('bpf-atlas: atlas files named by an untrusted workspace are not read: trust this workspace to use it.');
      }
      return targets;
    }),
  );
}
