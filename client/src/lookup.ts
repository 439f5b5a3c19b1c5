// "Look up an attach point": asks for a target (`kprobe:do_sys_open`, `tracepoint/sched/sched_switch`,
// a bare function name), sends bpfAtlas/lookup and shows the server's Markdown report rendered
// beside the editor. Defaults the input to the word under the cursor.

import * as vscode from 'vscode';
import { LookupRequest } from '../../server/src/protocol';
import type { Ctx } from './ctx';
import type { ReportView } from './reportView';

export function activate(ctx: Ctx, reports: ReportView): void {
  ctx.push(
    vscode.commands.registerCommand('bpfAtlas.lookup', async (query?: string) => {
      const client = ctx.runningClient();
      if (!client) return;
      if (typeof query !== 'string' || !query) {
        const editor = vscode.window.activeTextEditor;
        const wordRange = editor?.document.getWordRangeAtPosition(editor.selection.active, /[\w.:/]+/);
        query = await vscode.window.showInputBox({
          title: 'bpf-atlas: look up an attach point',
          prompt: 'kprobe:vfs_read, tracepoint/sched/sched_switch, fentry/tcp_sendmsg, or a function name',
          value: wordRange ? editor!.document.getText(wordRange) : '',
        });
        if (!query) return;
      }
      const result = await client.sendRequest(LookupRequest, { query });
      if (result.error && !result.markdown) {
        void vscode.window.showWarningMessage(`bpf-atlas: ${result.error}`);
        return;
      }
      await reports.show(`bpf-atlas lookup ${query}`, result.markdown, vscode.ViewColumn.Beside);
      return result;
    }),
  );
}
