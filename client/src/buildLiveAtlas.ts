// "Build an atlas of this machine's kernel": asks the server to index the running kernel (BTF,
// kallsyms, tracefs). The server reports its progress as LSP work-done progress, which the
// language client shows as a notification by itself. The server adds the result as the `live`
// atlas; the status bar follows through bpfAtlas/status.

import * as vscode from 'vscode';
import { BuildLiveAtlasRequest } from '../../server/src/protocol';
import type { Ctx } from './ctx';

export function activate(ctx: Ctx): void {
  ctx.push(
    vscode.commands.registerCommand('bpfAtlas.buildLiveAtlas', async () => {
      const client = ctx.runningClient();
      if (!client) return;
      const result = await client.sendRequest(BuildLiveAtlasRequest, {});
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
