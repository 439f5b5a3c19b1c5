// bpftrace hover: on a probe's type, what the probe type is; on a probe's target, what it is on
// each target kernel (features/shared/render.ts, shared with C, draws the status table, prototype,
// record fields and hazards); on `args.field`, its type on each target; on `retval`, the return
// type; on a builtin, its documentation from the knowledge files.

import { MarkupKind, type Hover, type Position } from 'vscode-languageserver';
import { probeTypeInfo } from '../../model/programKinds';
import {
  blockAtOffset, offsetAt, positionAt, rangeContains, type BtBlock, type BtModel, type BtProbe,
} from '../../syntax/bpftrace';
import { renderAttachPoint } from '../shared/render';
import type { FeatureContext } from '../shared/context';
import { analyseProbe } from './analysis';
import { argsOn, btModelOf, kernelOf, paramPerKernel, type BtDocumentLike } from './common';

function markdown(value: string, range?: Hover['range']): Hover {
  return { contents: { kind: MarkupKind.Markdown, value }, range };
}

export function hoverBpftrace(doc: BtDocumentLike, pos: Position, ctx: FeatureContext): Hover | null {
  const model = btModelOf(doc);
  const probe = model.probes.find((p) => rangeContains(p.range, pos));
  if (probe) {
    if (rangeContains(probe.typeRange, pos) && !(probe.typeRange.end.line === pos.line && probe.typeRange.end.character === pos.character && probe.raw.includes(':'))) {
      return probeTypeHover(probe);
    }
    return probeHover(probe, ctx);
  }
  for (const block of model.blocks) {
    const use = block.argsUses.find((u) => rangeContains(u.fullRange, pos));
    if (use && use.field) return argsFieldHover(block, use.field, ctx, use.fullRange);
    const rv = block.retvalUses.find((r) => rangeContains(r, pos));
    if (rv) return retvalHover(block, ctx, rv);
    const argN = block.argNUses.find((u) => rangeContains(u.range, pos));
    if (argN) return argNHover(block, argN.index, ctx, argN.range);
  }
  return builtinHover(model, pos, ctx);
}

function probeTypeHover(probe: BtProbe): Hover | null {
  const info = probeTypeInfo(probe.typeText);
  if (!info) return null;
  const canonical = info.aliasOf ? ` (alias of \`${info.aliasOf}\`)` : '';
  return markdown(`**${info.name}**${canonical}\n\n${info.summary}\n\n\`${info.format}\``, probe.typeRange);
}

function probeHover(probe: BtProbe, ctx: FeatureContext): Hover | null {
  const analysis = analyseProbe(probe, ctx);
  const sections: string[] = [];
  const info = probeTypeInfo(probe.typeText);
  for (const report of analysis.reports) {
    const evidence = ctx.knowledge.evidenceFor(report.target.name);
    sections.push(renderAttachPoint({ target: report.target, kernels: report.kernels, evidence, summary: info?.summary }));
  }
  if (analysis.alternatives.length) {
    sections.push(['**Stable alternative in bpftrace**', '', ...analysis.alternatives.map((a) => {
      const bits = [a.alternative.note, a.alternative.since ? `since ${a.alternative.since}` : undefined, a.alternative.caveat].filter(Boolean).join(' ');
      return `- \`${a.probe}\`${bits ? `: ${bits}` : ''}`;
    })].join('\n'));
  }
  for (const w of analysis.wildcards) {
    const lines = w.perKernel.filter((k) => k.known).map((k) => {
      const skipped = k.skipped.length ? `; ${k.skipped.length} skipped (${[...new Set(k.skipped.map((s) => s.hazard))].join(', ')})` : '';
      const sample = k.attachable.slice(0, 8).map((s) => `\`${s}\``).join(', ');
      return `- ${k.kernel}: ${k.attachable.length} match${k.attachable.length === 1 ? '' : 'es'}${skipped}${sample ? ` — ${sample}${k.attachable.length > 8 ? ', …' : ''}` : ''}`;
    });
    const name = w.target.kind === 'tracepoint' ? `${w.target.system}:${w.target.name}` : w.target.name;
    sections.push([`**${probe.typeText}** wildcard \`${name}\``, '', ...lines].join('\n'));
  }
  if (!sections.length) {
    if (!info) return null;
    return markdown(`**${info.name}** \`${probe.raw}\`\n\n${info.summary}\n\n\`${info.format}\``, probe.range);
  }
  return markdown(sections.join('\n\n---\n\n'), probe.range);
}

function argsFieldHover(block: BtBlock, field: string, ctx: FeatureContext, range: Hover['range']): Hover | null {
  const lines: string[] = [];
  for (const probe of block.probes) {
    if (probe.wildcard) continue;
    const types = new Map<string, string[]>();
    const missing: string[] = [];
    for (const id of ctx.targets) {
      const kernel = kernelOf(ctx, id);
      const args = kernel ? argsOn(kernel, probe) : undefined;
      if (!args) continue;
      const a = args.find((x) => x.name === field);
      if (!a) { missing.push(id); continue; }
      types.set(a.type, [...(types.get(a.type) ?? []), id]);
    }
    if (!types.size && !missing.length) continue;
    lines.push(`\`${probe.raw}\``);
    if (types.size === 1 && !missing.length) lines.push(`- \`${[...types.keys()][0]} ${field}\` on every target kernel`);
    else for (const [t, ks] of types) lines.push(`- \`${t} ${field}\` on ${ks.join(', ')}`);
    if (missing.length) lines.push(`- absent on ${missing.join(', ')}`);
  }
  if (!lines.length) return null;
  return markdown([`**args.${field}**`, '', ...lines].join('\n'), range);
}

function retvalHover(block: BtBlock, ctx: FeatureContext, range: Hover['range']): Hover | null {
  const lines: string[] = [];
  for (const probe of block.probes) {
    if (!probe.function || probe.wildcard || !(probe.kind === 'kretprobe' || probe.kind === 'fexit')) continue;
    const types = new Map<string, string[]>();
    for (const id of ctx.targets) {
      const ret = kernelOf(ctx, id)?.fn(probe.function)?.proto?.ret;
      if (ret) types.set(ret, [...(types.get(ret) ?? []), id]);
    }
    for (const [t, ks] of types) lines.push(`- \`${probe.raw}\` returns \`${t}\` on ${ks.length === ctx.targets.length ? 'every target kernel' : ks.join(', ')}`);
  }
  const builtin = ctx.knowledge.bpftraceBuiltins().find((b) => b.name === 'retval');
  if (!lines.length && !builtin) return null;
  return markdown(['**retval**', '', ...(builtin ? [builtin.doc, ''] : []), ...lines].join('\n'), range);
}

/** `argN` of a kprobe is the N-th parameter of the function: show which one, per kernel. */
function argNHover(block: BtBlock, index: number, ctx: FeatureContext, range: Hover['range']): Hover | null {
  const lines: string[] = [];
  for (const probe of block.probes) {
    if (!probe.function || probe.wildcard || probe.kind !== 'kprobe') continue;
    for (const [decl, ks] of paramPerKernel(probe.function, index, ctx)) {
      lines.push(`- \`${probe.raw}\`: \`${decl}\` on ${ks.length === ctx.targets.length ? 'every target kernel' : ks.join(', ')}`);
    }
  }
  const builtin = ctx.knowledge.bpftraceBuiltins().find((b) => b.name === `arg${index}` || b.name === 'argN' || b.name === 'arg0');
  if (!lines.length && !builtin) return null;
  return markdown([`**arg${index}**`, '', ...(builtin ? [builtin.doc, ''] : []), ...lines].join('\n'), range);
}

function builtinHover(model: BtModel, pos: Position, ctx: FeatureContext): Hover | null {
  const offset = offsetAt(model, pos);
  const inside = !!blockAtOffset(model, offset) || model.blocks.some((b) => b.predicate && rangeContains(b.predicate.range, pos));
  if (!inside) return null;
  const t = model.text;
  let a = offset;
  let b = offset;
  while (a > 0 && /[A-Za-z0-9_]/.test(t[a - 1])) a--;
  while (b < t.length && /[A-Za-z0-9_]/.test(t[b])) b++;
  if (a === b || t[a - 1] === '$' || t[a - 1] === '@' || t[a - 1] === '.') return null;
  const word = t.slice(a, b);
  const builtin = ctx.knowledge.bpftraceBuiltins().find((x) => x.name === word);
  if (!builtin) return null;
  const head = builtin.signature ? '```\n' + builtin.signature + '\n```' : `**${builtin.name}**`;
  return markdown(`${head}\n\n${builtin.doc}`, { start: positionAt(model, a), end: positionAt(model, b) });
}
