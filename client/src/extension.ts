// Extension entry point: builds the context, activates each client feature, starts the server.
// Nothing else lives here.

import type * as vscode from 'vscode';
import { Ctx } from './ctx';
import * as atlasInUse from './atlasInUse';
import * as buildLiveAtlas from './buildLiveAtlas';
import * as ciConfig from './ciConfig';
import * as commands from './commands';
import * as hostAtlas from './hostAtlas';
import * as kernelPicker from './kernelPicker';
import * as lookup from './lookup';
import * as reportView from './reportView';
import * as statusBar from './statusBar';

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<Ctx> {
  ctx = new Ctx(context);
  const reports = reportView.activate(ctx);
  for (const feature of [statusBar, kernelPicker, buildLiveAtlas, commands, hostAtlas, ciConfig]) feature.activate(ctx);
  lookup.activate(ctx, reports);
  atlasInUse.activate(ctx, reports);
  try {
    await ctx.start();
  } catch (e) {
    ctx.output.error(`the language server did not start: ${e instanceof Error ? e.message : String(e)}`);
  }
  return ctx;
}

export async function deactivate(): Promise<void> {
  await ctx?.dispose();
  ctx = undefined;
}
