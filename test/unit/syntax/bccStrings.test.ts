// Python string literals decoded with their source map, and the symbolic strings BCC tools build.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeLiteral, literalPrefix } from '../../../server/src/syntax/bcc/pyStrings';
import { expand, flatText, formatStr, IdSource, lit, mergeStrs, render, replaceStr, type Str } from '../../../server/src/syntax/bcc/symText';
import type { BccCondition } from '../../../server/src/syntax/bcc/types';
import { compilePythonRegex } from '../../../server/src/syntax/bcc/pyRegex';

function decode(literal: string) {
  const open = /^[A-Za-z]*("""|'''|"|')/.exec(literal)!;
  const start = open[0].length;
  const end = literal.length - open[1].length;
  return decodeLiteral(literal, start, end, literalPrefix(open[0]));
}

/** A literal piece written at `at` in an imaginary document, one source character per character. */
function text(s: string, at = 0): Str {
  return [lit(s, Array.from({ length: s.length + 1 }, (_, k) => at + k))];
}

function cond(name: string): BccCondition {
  return { kind: 'if', expr: { op: 'opaque', text: name, guards: [] }, text: name, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
}

const anyOf = (lists: BccCondition[][]) => lists.flat();

describe('pyStrings.decodeLiteral', () => {
  it('decodes every escape and maps each character to where it is written', () => {
    const d = decode(String.raw`"a\\n\tb\x41\101\u00e9\U0001F600\N{BULLET}\q"`);
    assert.equal(d.text, 'a\\n\tbAA\u00e9\u{1F600}\ufffd\\q');
    // a at 1, `\\` at 2 (2 source chars), n at 4, `\t` at 5, b at 7, `\x41` at 8, `\101` at 12...
    assert.deepEqual(d.offsets.slice(0, 8), [1, 2, 4, 5, 7, 8, 12, 16]);
    assert.equal(d.offsets[d.offsets.length - 1], 44);
  });

  it('raw strings keep backslashes; bytes have no \\u; continuations vanish; f-strings halve braces', () => {
    assert.equal(decode(String.raw`r"^a\.isra\.\d$"`).text, String.raw`^a\.isra\.\d$`);
    assert.equal(decode(String.raw`b"\u0041\x41"`).text, '\\u0041A');
    const cont = decode('"ab\\\ncd"');
    assert.equal(cont.text, 'abcd');
    assert.deepEqual(cont.offsets, [1, 2, 5, 6, 7]);
    assert.equal(decode('f"{{x}}"').text, '{x}');
    assert.equal(decode('"""a\r\nb"""').text, 'a\r\nb');
  });
});

describe('symText', () => {
  it('replace splits literals and keeps the map of what is left', () => {
    const ids = new IdSource();
    const s = replaceStr(text('if (FILTER) return;', 100), 'FILTER', text('pid != 1', 500), ids);
    assert.equal(flatText(expand(s).expansions[0].pieces), 'if (pid != 1) return;');
    const r = render(s, 1000);
    assert.equal(r.text, 'if (pid != 1) return;');
    assert.equal(r.toDoc[0], 100);
    assert.equal(r.toDoc[4], 500);
    assert.equal(r.toDoc[12], 110);
  });

  it('merging branches that replaced the same placeholder differently makes a one-line choice', () => {
    const ids = new IdSource();
    const base = text('a\nFIELD\nb\n', 0);
    const merged = mergeStrs([
      { s: replaceStr(base, 'FIELD', text('__state', 50), ids), conds: [cond('new')] },
      { s: replaceStr(base, 'FIELD', text('state', 60), ids), conds: [cond('old')] },
    ], ids, anyOf);
    const r = render(merged, 1000);
    assert.equal(r.text, 'a\n__state\nb\n');
    assert.equal(r.choiceSpans.length, 1);
    assert.deepEqual(r.choiceSpans[0].alts.map((a) => [a.text, a.conds.map((c) => c.text)]), [['__state', ['new']], ['state', ['old']]]);
  });

  it('merging branches that appended different code renders every alternative under its condition', () => {
    const ids = new IdSource();
    const base = text('common\n', 0);
    const merged = mergeStrs([
      { s: [...base, ...text('int a(void) {}\n', 100)], conds: [cond('raw')] },
      { s: [...base, ...text('int b(void) {}\n', 200)], conds: [cond('not raw')] },
    ], ids, anyOf);
    const r = render(merged, 1000);
    assert.equal(r.text, 'common\nint a(void) {}\nint b(void) {}\n');
    assert.deepEqual(r.condSpans.map((s) => [r.text.slice(s.start, s.end), s.conds[0].text]), [
      ['int a(void) {}\n', 'raw'], ['int b(void) {}\n', 'not raw']]);
  });

  it('a literal whole in one branch and replaced in the other still lines up', () => {
    const ids = new IdSource();
    const base = text('x FILTER y\n', 0);
    const merged = mergeStrs([
      { s: replaceStr(base, 'FILTER', text('pid', 90), ids), conds: [cond('pid')] },
      { s: base, conds: [cond('no pid')] },
    ], ids, anyOf);
    assert.equal(render(merged, 1000).text, 'x pid y\n');
    assert.equal(expand(merged).expansions.length, 2);
  });

  it('% formatting fills known arguments, leaves unknown ones as stand-ins and halves %%', () => {
    const s = formatStr(text('a %s b %d c %%', 0), { positional: (k) => (k === 0 ? text('X', 40) : undefined), named: () => undefined }, { from: 0, to: 0 });
    const r = render(s, 100);
    assert.equal(r.text, 'a X b __ c %');
    assert.deepEqual(r.unknownSpans, [{ start: 6, end: 8 }]);
  });

  it('an alternative that leaves a block comment open does not swallow the next one', () => {
    const ids = new IdSource();
    const merged = mergeStrs([
      { s: text('/* opened\n', 0), conds: [cond('a')] },
      { s: text('int kprobe__f(void) {}\n', 50), conds: [cond('b')] },
    ], ids, anyOf);
    const r = render(merged, 1000);
    assert.match(r.text, /^\/\* opened\n \*\/int kprobe__f/);
  });
});

describe('pyRegex', () => {
  it('fullmatch as bcc does for event_re: the .isra alternation, and no prefix matches', () => {
    const r = compilePythonRegex(String.raw`^finish_task_switch$|^finish_task_switch\.isra\.\d$`);
    assert.ok(r.ok);
    assert.equal(r.pattern.test('finish_task_switch'), true);
    assert.equal(r.pattern.test('finish_task_switch.isra.0'), true);
    assert.equal(r.pattern.test('finish_task_switch.isra.10'), false);
    assert.equal(r.pattern.test('finish_task_switch2'), false);
    const vfs = compilePythonRegex('vfs_');
    assert.ok(vfs.ok && !vfs.pattern.test('vfs_read'));
    const tp = compilePythonRegex('sched:.*', 'match');
    assert.ok(tp.ok && tp.pattern.test('sched:sched_switch'));
  });

  it('translates what differs from JavaScript and refuses what JavaScript cannot do', () => {
    const named = compilePythonRegex(String.raw`(?P<fn>tcp_\w+)\.(?P=fn)\Z`);
    assert.ok(named.ok && named.pattern.test('tcp_x.tcp_x') && !named.pattern.test('tcp_x.tcp_y'));
    const ci = compilePythonRegex('(?i)VFS_READ');
    assert.ok(ci.ok && ci.pattern.test('vfs_read'));
    const cls = compilePythonRegex(String.raw`[(?P<x>]+`);
    assert.ok(cls.ok && cls.pattern.test('(?P<'));
    for (const bad of ['a++', '(?>a)', 'a(?i)b', '(?x) a', '(', 'a\\']) {
      const r = compilePythonRegex(bad);
      assert.equal(r.ok, false, bad);
      assert.ok(!r.ok && r.error.length > 0);
    }
  });
});
