// textDocument/documentSymbol for bpftrace: one symbol per probe block, named by its probes as
// written (`kprobe:vfs_read, kprobe:vfs_write`), with the probe type and the predicate as detail;
// a block of several probes lists each probe as a child.

import { type DocumentSymbol, SymbolKind } from 'vscode-languageserver';
import type { BtBlock, BtModel } from '../../syntax/bpftrace';

function blockSymbol(block: BtBlock): DocumentSymbol {
  const first = block.probes[0];
  const kinds = [...new Set(block.probes.map((p) => p.kind))];
  const detail = [kinds.join(', '), block.predicate ? `/${block.predicate.text.replace(/^\/|\/$/g, '').trim()}/` : undefined].filter(Boolean).join(' ');
  return {
    name: block.probes.map((p) => p.raw).join(', ') || 'probe',
    detail,
    kind: SymbolKind.Event,
    range: block.range,
    selectionRange: first ? first.range : block.range,
    children: block.probes.length > 1
      ? block.probes.map((p) => ({ name: p.raw, detail: p.kind, kind: SymbolKind.Event, range: p.range, selectionRange: p.range }))
      : [],
  };
}

export function documentSymbolsBpftrace(model: BtModel): DocumentSymbol[] {
  return model.blocks.filter((b) => b.probes.length).map(blockSymbol);
}
