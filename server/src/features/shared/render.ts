// Markdown rendering of one attach point across the target kernels, shared by the C and bpftrace
// hovers, completion item documentation and diagnostics' related text: status per kernel with its
// hazards, the prototype / TP_PROTO arguments, the trace record fields with offsets, the print
// format, breakage evidence and the stable alternative. Kernels that carry the same shape are
// grouped so a hover over six kernels shows each variant once. Pure string building.

import { cDecl, HAZARD_DOCS } from '../../atlas/model';
import { sectionOf } from '../../model/targets';
import type { Assessment, AttachTarget, Hazard, Param, TraceField } from '../../atlas/model';
import type { Evidence } from '../../knowledge/types';

/** One target kernel's row; `hazards` overrides `assessment.hazards` (e.g. re-graded severities). */
export interface KernelRow {
  kernel: string;
  /** uname -r style release, shown next to the id when known. */
  release?: string;
  assessment: Assessment;
  hazards?: readonly Hazard[];
}

export interface AlternativeView {
  target: AttachTarget;
  note?: string;
  since?: string;
  caveat?: string;
  evidence?: string;
}

/** What to render. An attach report (analysis/report.ts) fits this shape as it is. */
export interface AttachPointView {
  target: AttachTarget;
  kernels: readonly KernelRow[];
  alternatives?: readonly AlternativeView[];
  evidence?: readonly Evidence[];
  /** One line on the hook kind (the section prefix summary). */
  summary?: string;
  /** How the hook's shape differs between the target kernels. */
  differences?: readonly { hazard: string; message: string; variants?: readonly { kernels: readonly string[]; text: string }[] }[];
}

export interface RenderOptions {
  /** Which parts to show (all by default). */
  proto?: boolean;
  fields?: boolean;
  fmt?: boolean;
  /** Heading line with the target (default true). */
  title?: boolean;
}

/** Print formats of some events run to kilobytes of flag tables: hovers show the start. */
const MAX_FMT = 400;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

const STATUS_MARK = { ok: '✅', info: 'ℹ️', warning: '⚠️', error: '❌' } as const;

/** Prose from data files (section summaries) can hold C such as `trace_event_raw_<class>`:
 *  markdown renderers would take `<class>` for HTML and drop it. */
export function escapeMarkdownText(text: string): string {
  return text.replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'));
}

/** Plain text built from kernel facts (hazard messages, kernel names and releases) as markdown
 *  that shows exactly that text: every character markdown or HTML would act on is escaped. Such
 *  text holds C types (`struct file *`, whose stars would turn into emphasis), Rust symbols
 *  (`<T as Trait>`, which would be taken for HTML) and whatever an atlas file someone else built
 *  puts in a name. */
export function escapeMarkdownPlain(text: string): string {
  return text.replace(/[\\`*_[\]<>|~&]/g, '\\$&').replace(/\n/g, ' ');
}

function hazardsOf(row: KernelRow): readonly Hazard[] {
  return row.hazards ?? row.assessment.hazards;
}

/** The worst status of one kernel: `ok` when attachable without hazards. */
export function rowStatus(row: KernelRow): keyof typeof STATUS_MARK {
  const hs = hazardsOf(row);
  if (!row.assessment.found || !row.assessment.attachable || hs.some((h) => h.severity === 'error')) return 'error';
  if (hs.some((h) => h.severity === 'warning')) return 'warning';
  if (hs.length) return 'info';
  return 'ok';
}

function kernelName(row: KernelRow): string {
  return row.release ? `${row.kernel} (${row.release})` : row.kernel;
}

/** The per-kernel status table. */
export function renderStatusTable(rows: readonly KernelRow[]): string {
  if (!rows.length) return '_No target kernels selected._';
  const out = ['| kernel | status | hazards |', '|---|---|---|'];
  for (const row of rows) {
    const status = rowStatus(row);
    const a = row.assessment;
    const word = !a.found ? 'not found' : !a.attachable ? 'cannot attach' : status === 'ok' || status === 'info' ? 'attachable' : 'attachable, with hazards';
    const hs = hazardsOf(row).map((h) => `\`${h.name}\`: ${escapeMarkdownPlain(h.message)}`).join('<br>');
    const extra = a.attachAs ? ` (as \`${a.attachAs}\`)` : '';
    out.push(`| ${escapeMarkdownPlain(kernelName(row))} | ${STATUS_MARK[status]} ${word}${extra} | ${hs} |`);
  }
  return out.join('\n');
}

/** Record fields as C declarations with their offsets and sizes. */
export function renderFields(fields: readonly TraceField[]): string {
  const lines = fields.map((f) => {
    const decl = `${cDecl(f.type, f.name)};`;
    const where = f.offset !== undefined ? `offset ${f.offset}${f.size !== undefined ? `, size ${f.size}` : ''}` : '';
    return where ? `${decl.padEnd(40)} /* ${where} */` : decl;
  });
  return '```c\n' + (lines.length ? lines.join('\n') : '/* no fields */') + '\n```';
}

export function renderArgs(args: readonly Param[]): string {
  return args.length ? args.map((p) => cDecl(p.type, p.name)).join(', ') : 'void';
}

/** Groups kernels whose rendered text is identical, keeping target order. */
function groupBy(rows: readonly KernelRow[], text: (row: KernelRow) => string | undefined): { kernels: string[]; text: string }[] {
  const groups: { kernels: string[]; text: string }[] = [];
  for (const row of rows) {
    const t = text(row);
    if (t === undefined) continue;
    const g = groups.find((x) => x.text === t);
    if (g) g.kernels.push(row.kernel); else groups.push({ kernels: [row.kernel], text: t });
  }
  return groups;
}

function renderGroups(title: string, groups: { kernels: string[]; text: string }[], total: number): string[] {
  if (!groups.length) return [];
  const out: string[] = [];
  for (const g of groups) {
    const on = groups.length === 1 && g.kernels.length === total ? 'all targets' : g.kernels.join(', ');
    out.push(`**${title}** (${on}):`, '', g.text, '');
  }
  return out;
}

/** The trace record struct name for a tracepoint on one kernel. */
export function recordStruct(a: Assessment, eventName: string): string {
  return `struct trace_event_raw_${a.template ?? eventName}`;
}

/** Full markdown for one attach point across the target kernels. */
export function renderAttachPoint(view: AttachPointView, options: RenderOptions = {}): string {
  const show = { proto: true, fields: true, fmt: true, title: true, ...options };
  const t = view.target;
  const out: string[] = [];
  if (show.title) {
    out.push(`**${t.kind}** \`${t.kind === 'tracepoint' && t.system ? `${t.system}/${t.name}` : t.name}\`` + (view.summary ? ` — ${escapeMarkdownText(view.summary)}` : ''), '');
  }
  out.push(renderStatusTable(view.kernels), '');
  const total = view.kernels.length;
  if (show.proto) {
    out.push(...renderGroups('Prototype', groupBy(view.kernels, (r) => r.assessment.proto ? '```c\n' + r.assessment.proto + '\n```' : undefined), total));
    if (t.kind === 'tp_btf' || t.kind === 'raw_tp' || t.kind === 'tracepoint') {
      out.push(...renderGroups('TP_PROTO arguments', groupBy(view.kernels, (r) => r.assessment.args ? '`' + renderArgs(r.assessment.args) + '`' : undefined), total));
    }
  }
  if (show.fields && t.kind === 'tracepoint') {
    out.push(...renderGroups('Record fields', groupBy(view.kernels, (r) => r.assessment.fields
      ? `\`${recordStruct(r.assessment, t.name)}\`\n\n${renderFields(r.assessment.fields)}` : undefined), total));
  }
  if (show.fmt) {
    out.push(...renderGroups('Print format', groupBy(view.kernels, (r) => r.assessment.fmt ? '```\n' + clip(r.assessment.fmt, MAX_FMT) + '\n```' : undefined), total));
  }
  if (view.differences?.length) {
    out.push('**Differences between targets**', '');
    for (const d of view.differences) out.push(`- \`${d.hazard}\`: ${escapeMarkdownPlain(d.message)}`);
    out.push('');
  }
  const seen = new Set<string>();
  const hazardNotes: string[] = [];
  for (const row of view.kernels) {
    for (const h of hazardsOf(row)) {
      if (seen.has(h.name) || h.severity === 'info') continue;
      seen.add(h.name);
      hazardNotes.push(`- \`${h.name}\`: ${HAZARD_DOCS[h.name]}`);
    }
  }
  if (hazardNotes.length) out.push('**Hazards**', '', ...hazardNotes, '');
  if (view.evidence?.length) {
    out.push('**Seen in the wild**', '');
    const refs = new Set<string>();
    for (const e of view.evidence) if (!refs.has(e.ref) && refs.add(e.ref)) out.push(`- [${e.ref}](${e.url}): ${e.title}. ${e.gist}`);
    out.push('');
  }
  if (view.alternatives?.length) {
    out.push('**Stable alternative**', '');
    for (const alt of view.alternatives) {
      const bits = [alt.note, alt.since ? `since ${alt.since}` : undefined, alt.caveat].filter(Boolean).join('; ');
      const usedBy = alt.evidence && !(alt.note ?? '').includes(alt.evidence) ? ` (used by ${alt.evidence})` : '';
      out.push(`- \`SEC("${sectionOf(alt.target)}")\`${bits ? `: ${bits}` : ''}${usedBy}`);
    }
    out.push('');
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}
