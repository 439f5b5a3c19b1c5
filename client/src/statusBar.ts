// Status bar item: the target kernels in use (from the server's bpfAtlas/status notification), a
// spinner while the live kernel is being indexed, and a warning look when the atlas failed.
// Shown while a C or bpftrace editor is active; clicking it opens the kernel picker.

import * as vscode from 'vscode';
import { StatusNotification, type StatusParams } from '../../server/src/protocol';
import type { Ctx } from './ctx';

const LANGUAGES = new Set(['c', 'bpftrace']);

/** The status bar text for a status, e.g. `$(server) BPF: debian-12, live`. Exported for tests. */
export function statusText(status: StatusParams | undefined): string {
  if (!status) return '$(sync~spin) BPF: starting';
  if (status.busy) return `$(sync~spin) BPF: ${status.busy}`;
  if (status.error) return '$(warning) BPF: no atlas';
  if (!status.targets.length) return '$(server) BPF: no target kernel';
  return `$(server) BPF: ${status.targets.map((t) => t.id).join(', ')}`;
}

export function activate(ctx: Ctx): void {
  const item = vscode.window.createStatusBarItem('bpfAtlas.targets', vscode.StatusBarAlignment.Right, 100);
  item.name = 'bpf-atlas target kernels';
  item.command = 'bpfAtlas.pickTargetKernels';
  let status: StatusParams | undefined;

  const render = () => {
    item.text = statusText(status);
    const lines = status?.targets.map((t) => `${t.id}: ${t.release} (${t.source})`) ?? [];
    item.tooltip = status?.error
      ? `bpf-atlas: ${status.error}`
      : `bpf-atlas target kernels\n${lines.join('\n') || '(none)'}\n\nClick to pick the target kernels.`;
    item.backgroundColor = status?.error ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const editor = vscode.window.activeTextEditor;
    if (editor && LANGUAGES.has(editor.document.languageId)) item.show();
    else item.hide();
  };

  ctx.onNotification(StatusNotification, (params) => {
    status = params;
    render();
  });
  ctx.onDidChangeClient((client) => {
    if (!client) status = undefined;
    render();
  });
  ctx.push(item, vscode.window.onDidChangeActiveTextEditor(render));
  render();
}
