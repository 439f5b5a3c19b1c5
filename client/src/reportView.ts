// Read-only Markdown views for the reports commands show (lookup, atlas in use). They live under a
// `bpf-atlas` URI scheme served by a content provider, so they open as previews that are never
// "dirty" and never ask to be saved when closed.

import * as vscode from 'vscode';
import type { Ctx } from './ctx';

export const REPORT_SCHEME = 'bpf-atlas';

export class ReportView implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  /** Shows `markdown` in a read-only editor titled `name` (re-using it when shown again). */
  async show(name: string, markdown: string, column = vscode.ViewColumn.Active): Promise<void> {
    const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${name}.md` });
    this.contents.set(uri.toString(), markdown);
    this.changed.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { viewColumn: column, preview: true });
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function activate(ctx: Ctx): ReportView {
  const view = new ReportView();
  ctx.push(view, vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, view));
  return view;
}
