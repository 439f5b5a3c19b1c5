// "Pick target kernels": a multi-select QuickPick of every kernel the server knows (bundled atlases,
// the live kernel, user atlas files) with release and provenance; the choice is written to
// bpfAtlas.targetKernels (workspace settings when a folder is open, else user settings), which the
// server picks up through its normal settings pull.

import * as vscode from 'vscode';
import { type KernelSummary, ListKernelsRequest } from '../../server/src/protocol';
import { SETTINGS_SECTION } from '../../server/src/settings';
import type { Ctx } from './ctx';

interface KernelItem extends vscode.QuickPickItem {
  id?: string;
}

const SOURCE_TITLES: Record<KernelSummary['source'], string> = {
  live: 'This machine',
  bundled: 'Bundled atlases',
  file: 'Atlas files',
};

function describe(k: KernelSummary): string {
  const distro = [k.distro, k.codename].filter(Boolean).join(' ');
  return [k.release, distro, k.lts ? 'LTS' : ''].filter(Boolean).join(' · ');
}

/** Picker items grouped by source, each group under a separator. Exported for tests. */
export function kernelItems(kernels: readonly KernelSummary[], targets: readonly string[]): KernelItem[] {
  const items: KernelItem[] = [];
  for (const source of ['live', 'bundled', 'file'] as const) {
    const group = kernels.filter((k) => k.source === source);
    if (!group.length) continue;
    items.push({ label: SOURCE_TITLES[source], kind: vscode.QuickPickItemKind.Separator });
    for (const k of group) {
      items.push({
        id: k.id,
        label: k.id,
        description: describe(k),
        detail: `${k.counts.functions} functions, ${k.counts.tracepoints} tracepoints — ${k.provenance}`,
        picked: targets.includes(k.id),
      });
    }
  }
  return items;
}

export function activate(ctx: Ctx): void {
  ctx.push(
    vscode.commands.registerCommand('bpfAtlas.pickTargetKernels', async () => {
      const client = ctx.runningClient();
      if (!client) return;
      const { kernels, targets } = await client.sendRequest(ListKernelsRequest, {});
      const picked = await vscode.window.showQuickPick(kernelItems(kernels, targets), {
        canPickMany: true,
        title: 'bpf-atlas: kernels your programs must work on',
        placeHolder: 'Select one or more target kernels',
        matchOnDescription: true,
      });
      if (!picked) return;
      const ids = picked.map((i) => i.id).filter((id): id is string => !!id);
      const target = vscode.workspace.workspaceFolders?.length
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
      await vscode.workspace.getConfiguration(SETTINGS_SECTION).update('targetKernels', ids, target);
    }),
  );
}
