// Hover on a struct member read in libbpf C (`prev->__state`, the `__state` of
// `BPF_CORE_READ(prev, __state)`): the member's type, offset and size on each target kernel where
// it exists, where it is missing (and its name there when renamed), and the struct it belongs to.
// Pure.

import type { Hover, Position } from 'vscode-languageserver';
import { MarkupKind } from 'vscode-languageserver';
import { cDecl } from '../../atlas/model';
import { accessOnTargets, notARelocation } from '../../analysis/members';
import { accessAt } from '../../syntax/coreAccess';
import type { AnalyzedDocument } from '../../syntax/documents';
import type { FeatureContext } from '../shared/context';
import { escapeMarkdownText } from '../shared/render';

export function memberHover(doc: AnalyzedDocument, pos: Position, ctx: FeatureContext): Hover | null {
  const model = doc.core;
  const hit = model && accessAt(model, pos);
  if (!model || !hit || !ctx.targets.length) return null;
  const { access, step } = hit;
  const s = access.steps[step];
  const upTo = { ...access, steps: access.steps.slice(0, step + 1) };
  const v = accessOnTargets(upTo, ctx);
  const within = v.kernels.find((k) => k.status === 'absent' && k.missingStep === step)?.within;
  const owner = step === 0 && access.root.kind === 'type'
    ? `${access.root.type.tag} ${access.root.type.name}`
    : within && (/^(struct|union) /.test(within) ? within : `struct ${within}`);
  const type = v.kernels.find((k) => k.member)?.member?.type;
  const lines = [`**${escapeMarkdownText(s.name)}**${owner ? ` — member of \`${owner}\`` : ''}${type ? `: \`${cDecl(type, s.name)}\`` : ''}`, ''];
  lines.push('| kernel | member | offset | size |', '|---|---|---|---|');
  for (const k of v.kernels) {
    const label = k.version ? `${k.kernel} (${k.version})` : k.kernel;
    if (k.status === 'present' && k.member) {
      const m = k.member;
      const off = m.bitOffset === undefined ? '–' : m.bitSize ? `${Math.floor(m.bitOffset / 8)} (bit ${m.bitOffset % 8}, ${m.bitSize} bits)` : String(Math.floor(m.bitOffset / 8));
      lines.push(`| ${label} | \`${cDecl(m.type, s.name)}\` | ${off} | ${m.size ?? '–'} |`);
    } else if (k.status === 'absent' && k.missingStep === step) {
      lines.push(`| ${label} | ✗ missing${k.renamedTo ? ` (has \`${k.renamedTo}\`)` : ''} | | |`);
    } else if (k.status === 'absent') {
      lines.push(`| ${label} | – (\`${access.steps[k.missingStep!].name}\` is missing before it) | | |`);
    } else {
      lines.push(`| ${label} | unknown${k.reason ? `: ${escapeMarkdownText(k.reason)}` : ''} | | |`);
    }
  }
  const offsets = v.kernels.some((k) => k.member?.bitOffset !== undefined);
  if (offsets) lines.push('', 'Offsets in bytes from the start of the struct the last `->` reaches; CO-RE relocates them per kernel.');
  const why = notARelocation(access, model);
  if (why) lines.push('', `Not checked for loading: ${why}.`);
  else if (access.guarded) lines.push('', 'Guarded by a bpf_core_*_exists() test: a kernel without it skips the read.');
  return { contents: { kind: MarkupKind.Markdown, value: lines.join('\n') }, range: s.range };
}
