// Rendered, read-only views of the Markdown reports commands show (lookup, atlas in use, the
// per-kernel table a code lens opens). The Markdown lives in virtual documents under a `bpf-atlas`
// URI scheme served by a content provider (never "dirty", never asks to be saved), and is shown
// through VS Code's own Markdown preview (`markdown.showPreview`), which renders tables and code and
// follows the colour theme. Where the built-in Markdown extension is missing or disabled, the
// Markdown source opens in a read-only editor instead: less pretty, never nothing.

import * as vscode from 'vscode';
import type { Ctx } from './ctx';

export const REPORT_SCHEME = 'bpf-atlas';

/** The virtual document for a report titled `name` (the name becomes the tab title; the `.md`
 *  makes it a Markdown document, which the preview needs). */
export function reportUri(name: string): vscode.Uri {
  return vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${name.replace(/[^\w.:@ -]+/g, '_')}.md` });
}

export class ReportView implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly output: vscode.LogOutputChannel) {}

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  /** Shows `markdown` rendered, titled `name` (the same name re-uses and refreshes its view). */
  async show(name: string, markdown: string, column = vscode.ViewColumn.Active): Promise<vscode.Uri> {
    const uri = reportUri(name);
    this.contents.set(uri.toString(), markdown);
    this.changed.fire(uri);
    try {
      await vscode.commands.executeCommand(column === vscode.ViewColumn.Beside ? 'markdown.showPreviewToSide' : 'markdown.showPreview', uri);
    } catch (e) {
      this.output.warn(`the Markdown preview is not available (${e instanceof Error ? e.message : String(e)}): showing the report as text`);
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc, { viewColumn: column, preview: true });
    }
    return uri;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function activate(ctx: Ctx): ReportView {
  const view = new ReportView(ctx.output);
  ctx.push(view, vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, view));
  return view;
}
