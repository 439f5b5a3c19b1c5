// textDocument/documentSymbol for libbpf C: the outline of a BPF object file. Every program (its
// handler's name, or its section when no handler is written yet) with its section and program kind
// as detail, and as children its ctx parameter (or a handler macro's arguments) and the maps its
// body uses; every map with its type;
// the licence with its value; other globals placed in a data section.

import { type DocumentSymbol, SymbolKind } from 'vscode-languageserver';
import type { Knowledge } from '../../knowledge/types';
import type { BpfProgram, CModel, DataDeclaration, LineMap, Range } from '../../syntax/cModel';

/** What a C outline needs of a document. */
export interface CSymbolDocument {
  text: string;
  c?: CModel;
  lines: LineMap;
}

function isMap(d: DataDeclaration): boolean {
  return d.section === '.maps' || d.section === 'maps';
}

function before(a: Range['start'], b: Range['start']): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

/** `range` grown to hold `inner` (a client rejects a selection range outside the symbol's range). */
function covering(range: Range, inner: Range): Range {
  return {
    start: before(inner.start, range.start) ? inner.start : range.start,
    end: before(range.end, inner.end) ? inner.end : range.end,
  };
}

/** `BPF_MAP_TYPE_PERF_EVENT_ARRAY` → `perf event array map`. */
function mapTypeLabel(type: string | undefined): string {
  if (!type) return 'map';
  const m = /^BPF_MAP_TYPE_(\w+)$/.exec(type);
  return m ? `${m[1].toLowerCase().replace(/_/g, ' ')} map` : `map (${type})`;
}

function programSymbol(p: BpfProgram, doc: CSymbolDocument, maps: readonly DataDeclaration[], knowledge: Knowledge | undefined): DocumentSymbol {
  const end = p.bodyRange?.end ?? p.handler?.headerRange.end ?? p.secRange.end;
  const range = { start: p.secRange.start, end: before(p.secRange.end, end) ? end : p.secRange.end };
  const kind = p.kind ?? p.prefix;
  const summary = kind ? undefined : knowledge?.sectionPrefix(p.section)?.summary;
  const children: DocumentSymbol[] = [];
  // What the program receives: the ctx parameter, or a handler macro's typed arguments.
  const params = p.handler?.macro ? p.handler.params : [p.handler?.ctx ?? p.handler?.params[0]];
  for (const param of params) {
    if (param?.name && param.nameRange) {
      children.push({ name: param.name, detail: param.type, kind: SymbolKind.Variable, range: param.range, selectionRange: param.nameRange });
    }
  }
  if (p.bodyRange) {
    const from = doc.lines.offsetAt(p.bodyRange.start);
    const body = doc.text.slice(from, doc.lines.offsetAt(p.bodyRange.end));
    for (const m of maps) {
      const use = new RegExp(`(?<![\\w.>])${m.name}\\b`).exec(body);
      if (!use) continue;
      const at = doc.lines.range(from + use.index, from + use.index + m.name.length);
      children.push({ name: m.name, detail: mapTypeLabel(m.mapType), kind: SymbolKind.Object, range: at, selectionRange: at });
    }
  }
  const selectionRange = p.handler?.nameRange ?? p.sectionRange;
  return {
    name: p.handler?.name || p.section || 'SEC("")',
    // `tracepoint/sched/sched_switch · tracepoint`; a prefix the atlas does not index says what it is for.
    detail: [p.section, kind ?? summary].filter(Boolean).join(' · '),
    kind: SymbolKind.Function,
    range: covering(range, selectionRange),
    selectionRange,
    children,
  };
}

function dataSymbol(d: DataDeclaration): DocumentSymbol {
  if (isMap(d)) return { name: d.name, detail: mapTypeLabel(d.mapType), kind: SymbolKind.Object, range: d.range, selectionRange: d.nameRange };
  if (d.section === 'license') return { name: d.name, detail: d.value !== undefined ? `license "${d.value}"` : 'license', kind: SymbolKind.Constant, range: d.range, selectionRange: d.nameRange };
  return { name: d.name, detail: `SEC("${d.section}")`, kind: SymbolKind.Variable, range: d.range, selectionRange: d.nameRange };
}

export function documentSymbolsC(doc: CSymbolDocument, knowledge?: Knowledge): DocumentSymbol[] {
  const model = doc.c;
  if (!model) return [];
  const maps = model.data.filter(isMap);
  const out = [
    ...model.programs.map((p) => programSymbol(p, doc, maps, knowledge)),
    ...model.data.map(dataSymbol),
  ];
  return out.sort((a, b) => (before(a.range.start, b.range.start) ? -1 : before(b.range.start, a.range.start) ? 1 : 0));
}
