// "Build an atlas of this machine's kernel": asks the server to index the running kernel (BTF,
// kallsyms, tracefs) with a progress notification fed by the server's bpfAtlas/indexProgress.
// The server adds the result as the `live` atlas; the status bar follows through bpfAtlas/status.

import * as vscode from 'vscode';
import { BuildLiveAtlasRequest, IndexProgressNotification, type IndexProgressParams } from '../../server/src/protocol';
import type { Ctx } from './ctx';

export function activate(ctx: Ctx): void {
  // Progress messages go to whichever build is running (at most one at a time).
  let report: ((p: IndexProgressParams) => void) | undefined;
  ctx.onNotification(IndexProgressNotification, (p) => report?.(p));

  ctx.push(
    vscode.commands.registerCommand('bpfAtlas.buildLiveAtlas', async () => {
      const client = ctx.runningClient();
      if (!client) return;
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'bpf-atlas: indexing this machine’s kernel', cancellable: false },
        async (progress) => {
          let last = 0;
          report = (p) => {
            const increment = p.percent !== undefined ? Math.max(0, p.percent - last) : undefined;
            if (p.percent !== undefined) last = p.percent;
            progress.report({ message: p.message, increment });
          };
          try {
            return await client.sendRequest(BuildLiveAtlasRequest, {});
          } finally {
            report = undefined;
          }
        },
      );
      if (result.ok && result.kernel) {
        const k = result.kernel;
        void vscode.window.showInformationMessage(
          `bpf-atlas: indexed ${k.release} in ${(result.ms / 1000).toFixed(1)} s — ${k.counts.functions} functions, ${k.counts.tracepoints} tracepoints.`,
        );
      } else {
        void vscode.window.showErrorMessage(`bpf-atlas: could not index this machine's kernel: ${result.error ?? 'unknown error'}`);
      }
      return result;
    }),
  );
}
