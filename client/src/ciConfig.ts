// "Add a CI configuration": writes a GitHub Actions workflow or a GitLab CI job that runs
// `bpf-atlas check` against this workspace's target kernels (see ciTemplates.ts) into the
// workspace, as an unsaved edit the user reviews and saves. Never overwrites: an existing file is
// opened instead, with the configuration in a new untitled editor beside it to merge by hand.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { ListKernelsRequest } from '../../server/src/protocol';
import { SETTINGS_SECTION } from '../../server/src/settings';
import { CI_FILES, type CiSystem, ciConfig, ciKernels } from './ciTemplates';
import type { Ctx } from './ctx';

const SYSTEMS: { system: CiSystem; label: string }[] = [
  { system: 'github', label: 'GitHub Actions' },
  { system: 'gitlab', label: 'GitLab CI' },
];

/** The target kernel specs for CI: the explicit setting when there is one, else the resolved
 *  targets the server uses (the defaults). */
async function targetSpecs(ctx: Ctx): Promise<string[]> {
  const configured = vscode.workspace.getConfiguration(SETTINGS_SECTION).get<string[]>('targetKernels') ?? [];
  if (configured.length) return configured;
  const client = ctx.runningClient();
  return client ? (await client.sendRequest(ListKernelsRequest, {})).targets : [];
}

export function activate(ctx: Ctx): void {
  ctx.push(
    vscode.commands.registerCommand('bpfAtlas.addCiConfig', async (which?: CiSystem) => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      if (!folder) {
        void vscode.window.showWarningMessage('bpf-atlas: open the folder of your repository first, then add the CI configuration.');
        return;
      }
      let system = SYSTEMS.find((s) => s.system === which)?.system;
      if (!system) {
        system = (await vscode.window.showQuickPick(SYSTEMS.map((s) => ({ label: s.label, system: s.system })), {
          title: 'bpf-atlas: run bpf-atlas check in CI',
        }))?.system;
        if (!system) return;
      }
      const root = folder.uri.fsPath;
      const { kernels, dropped } = ciKernels(await targetSpecs(ctx), (file) => {
        const rel = path.relative(root, path.resolve(root, file));
        return rel.startsWith('..') || path.isAbsolute(rel) ? undefined : rel.split(path.sep).join('/');
      });
      const text = ciConfig(system, kernels);
      const uri = vscode.Uri.joinPath(folder.uri, CI_FILES[system]);
      let exists = false;
      try {
        await vscode.workspace.fs.stat(uri);
        exists = true;
      } catch {
        /* not there yet: create it */
      }
      if (exists) {
        await vscode.window.showTextDocument(uri, { preview: false });
        const draft = await vscode.workspace.openTextDocument({ language: 'yaml', content: text });
        await vscode.window.showTextDocument(draft, { viewColumn: vscode.ViewColumn.Beside, preview: false });
        void vscode.window.showInformationMessage(`bpf-atlas: ${CI_FILES[system]} exists already: the bpf-atlas job is beside it to merge by hand.`);
      } else {
        const edit = new vscode.WorkspaceEdit();
        edit.createFile(uri, { ignoreIfExists: true });
        edit.insert(uri, new vscode.Position(0, 0), text);
        if (!(await vscode.workspace.applyEdit(edit))) {
          void vscode.window.showErrorMessage(`bpf-atlas: could not create ${CI_FILES[system]}.`);
          return;
        }
        await vscode.window.showTextDocument(uri, { preview: false });
      }
      if (dropped.length) {
        void vscode.window.showInformationMessage(
          `bpf-atlas: not checked in CI: ${dropped.join(', ')} (the runner's own kernel, or atlas files outside the repository; commit an atlas file to check against it).`);
      }
      return { file: uri.fsPath, kernels, dropped };
    }),
  );
}
