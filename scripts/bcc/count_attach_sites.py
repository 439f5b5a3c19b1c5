#!/usr/bin/env python3
"""Independent count of the attach sites of BCC Python tools, to measure the recall of bpf-atlas's
BCC model (server/src/syntax/bcc) by a separate method: Python's own `ast` module for the Python
side and regular expressions over the source text of every string literal for the C side. It shares
no code and no idea of data flow with the model: it finds where attaching is written, not what it
attaches to.

A site is one line of a tool where an attach to a kernel hook is written:
  * a call `X.attach_kprobe(...)`, `attach_kretprobe`, `attach_tracepoint`, `attach_raw_tracepoint`,
    `attach_kfunc`, `attach_kretfunc`, `attach_lsm`, `attach_fmod_ret` (any receiver);
  * inside a string literal, a C function bcc attaches by name when the program loads: a header
    (followed by `{`, or ending the literal) `kprobe__NAME(...) {`, `kretprobe__`, `tracepoint__`, `raw_tracepoint__`, `kfunc__`,
    `kretfunc__`, `lsm__`, or a probe macro `TRACEPOINT_PROBE(...)`, `RAW_TRACEPOINT_PROBE(...)`,
    `KFUNC_PROBE(...)`, `KRETFUNC_PROBE(...)`, `MODULE_KFUNC_PROBE(...)`, `MODULE_KRETFUNC_PROBE(...)`,
    `LSM_PROBE(...)` followed by `{`.
User-space attaches (uprobes, USDT) and perf events are counted apart ("user").

Usage: count_attach_sites.py FILE.py... > sites.json
"""
import ast
import json
import re
import sys

KERNEL_METHODS = {
    'attach_kprobe', 'attach_kretprobe', 'attach_tracepoint', 'attach_raw_tracepoint',
    'attach_kfunc', 'attach_kretfunc', 'attach_lsm', 'attach_fmod_ret',
}
USER_METHODS = {'attach_uprobe', 'attach_uretprobe', 'enable_probe', 'enable_probe_or_bail',
                'attach_perf_event', 'attach_perf_event_raw'}

# A header is followed by its body `{`, or ends the literal (the body is in another literal that
# the tool appends: readahead's alternative KRETFUNC_PROBE headers).
BODY = r'\s*(?:\{|(?=\\?["\']))'
AUTO_NAME = re.compile(r'\b(?:kprobe|kretprobe|tracepoint|raw_tracepoint|kfunc|kretfunc|lsm)__\w+\s*\([^;{}]*\)' + BODY, re.S)
AUTO_MACRO = re.compile(r'\b(?:TRACEPOINT_PROBE|RAW_TRACEPOINT_PROBE|RAW_TRACEPOINT_PROBE_WRITABLE|KFUNC_PROBE|KRETFUNC_PROBE|'
                        r'MODULE_KFUNC_PROBE|MODULE_KRETFUNC_PROBE|LSM_PROBE)\s*\([^;{}]*\)' + BODY, re.S)
# A C comment is not a definition.
C_COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)


def blank_comments(text):
    return C_COMMENT.sub(lambda m: re.sub(r'[^\n]', ' ', m.group(0)), text)


def literal_segments(source, tree):
    """(first line, source text) of every string literal, f-string parts included."""
    lines = source.splitlines(keepends=True)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            seg = ast.get_source_segment(source, node)
            if seg is not None:
                yield node.lineno, seg
        elif isinstance(node, ast.JoinedStr):
            seg = ast.get_source_segment(source, node)
            if seg is not None:
                yield node.lineno, seg
    del lines


def count(path):
    source = open(path, encoding='utf-8').read()
    tree = ast.parse(source)
    calls, user, auto = set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in KERNEL_METHODS:
                calls.add(node.lineno)
            elif node.func.attr in USER_METHODS:
                user.add(node.lineno)
    seen_segments = set()
    for lineno, seg in literal_segments(source, tree):
        # Implicitly concatenated literals are one Constant: its segment spans them all; a
        # JoinedStr's parts are Constants too. Count each (line, text) once.
        if (lineno, seg) in seen_segments:
            continue
        seen_segments.add((lineno, seg))
        text = blank_comments(seg)
        for rx in (AUTO_NAME, AUTO_MACRO):
            for m in rx.finditer(text):
                auto.add(lineno + text.count('\n', 0, m.start()))
    return {'calls': sorted(calls), 'auto': sorted(auto), 'user': sorted(user)}


def main():
    out = {}
    for path in sys.argv[1:]:
        try:
            out[path] = count(path)
        except SyntaxError as e:
            out[path] = {'error': str(e)}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
