// "Show the atlas in use": the resolved target kernels with their provenance, targets that could not
// be resolved, settings problems and the data folder, as a Markdown document.

import * as vscode from 'vscode';
import { type AtlasInUseResult, AtlasInUseRequest } from '../../server/src/protocol';
import type { Ctx } from './ctx';
import type { ReportView } from './reportView';

/** The report shown to the user. Exported for tests. */
export function atlasReport(r: AtlasInUseResult): string {
  const lines = ['# bpf-atlas: atlas in use', ''];
  if (!r.targets.length) lines.push('No target kernel is in use.', '');
  for (const k of r.targets) {
    lines.push(`## ${k.id} — ${k.release}`, '');
    lines.push(`- source: ${k.source}${k.distro ? `, ${k.distro}${k.codename ? ' ' + k.codename : ''}` : ''}, ${k.arch}`);
    lines.push(`- ${k.counts.functions} functions, ${k.counts.tracepoints} tracepoints, ${k.counts.syscalls} syscalls, ${k.counts.lsmHooks} LSM hooks`);
    lines.push(`- provenance: ${k.provenance}`, '');
  }
  if (r.unresolved.length) {
    lines.push('## Not resolved', '');
    for (const u of r.unresolved) lines.push(`- \`${u.spec}\`: ${u.reason}`);
    lines.push('');
  }
  if (r.settingsProblems.length) {
    lines.push('## Settings problems', '');
    for (const p of r.settingsProblems) lines.push(`- ${p}`);
    lines.push('');
  }
  lines.push(`Bundled data: \`${r.dataDir}\``);
  if (!r.workspaceTrusted) lines.push('', 'The workspace is not trusted: atlas files set by workspace settings are not read.');
  return lines.join('\n') + '\n';
}

export function activate(ctx: Ctx, reports: ReportView): void {
  ctx.push(
    vscode.commands.registerCommand('bpfAtlas.showAtlasInUse', async () => {
      const client = ctx.runningClient();
      if (!client) return;
      const result = await client.sendRequest(AtlasInUseRequest, {});
      await reports.show('bpf-atlas atlas in use', atlasReport(result));
      return result;
    }),
  );
}
