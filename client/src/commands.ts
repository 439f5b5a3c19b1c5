// Small commands that act on the client itself: restart the language server, show its log.

import * as vscode from 'vscode';
import type { Ctx } from './ctx';

export function activate(ctx: Ctx): void {
  ctx.push(
    vscode.commands.registerCommand('bpfAtlas.restartServer', () => ctx.restart()),
    vscode.commands.registerCommand('bpfAtlas.showServerLog', () => ctx.output.show(true)),
  );
}
