// Small name utilities shared by the knowledge queries: kernel compiler-suffix stripping and the
// glob syntax that knowledge rows (and libbpf kprobe.multi targets) use.

/** GCC/LLVM clone suffixes, possibly chained: `.isra.0`, `.constprop.0.isra.0`, `.cold`, `.llvm.123`. */
const COMPILER_SUFFIX = /(\.(isra|constprop|part|cold|lto_priv|llvm|localalias)(\.\d+)?)+$/;

/** `finish_task_switch.isra.0` → `finish_task_switch`; other names unchanged. */
export function baseFunctionName(name: string): string {
  return name.replace(COMPILER_SUFFIX, '');
}

/** A whole-name RegExp for a glob with `*` and `?`; the first `*` is captured as group 1. */
export function globToRegExp(glob: string): RegExp {
  let captured = false;
  let source = '';
  for (const ch of glob) {
    if (ch === '*') {
      source += captured ? '.*' : '(.*)';
      captured = true;
    } else if (ch === '?') {
      source += '.';
    } else {
      source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}
