// validateSettings: whatever a client sends (nothing, null, partial, wrong types, flat dotted keys
// as some LSP clients write them) becomes complete Settings plus one problem per rejected value,
// and it never throws.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SETTINGS, validateSettings } from '../../../server/src/settings';

test('missing, null and empty input give the defaults without problems', () => {
  for (const raw of [undefined, null, {}]) {
    const { settings, problems } = validateSettings(raw);
    assert.deepEqual(settings, DEFAULT_SETTINGS);
    assert.deepEqual(problems, []);
  }
});

test('a complete valid section is taken as is', () => {
  const raw = {
    targetKernels: ['debian-12', '6.12'],
    useLiveKernel: false,
    atlasFiles: ['/tmp/my.atlas.json'],
    hints: { preferTracepoints: false, preferFentry: true },
    severity: { 'partially-inlined': 'hint', 'unknown': 'off' },
    trace: { server: 'verbose' },
  };
  const { settings, problems } = validateSettings(raw);
  assert.deepEqual(problems, []);
  assert.deepEqual(settings, raw);
});

test('flat dotted keys are understood', () => {
  const { settings, problems } = validateSettings({ 'hints.preferFentry': false, 'trace.server': 'messages' });
  assert.deepEqual(problems, []);
  assert.equal(settings.hints.preferFentry, false);
  assert.equal(settings.hints.preferTracepoints, true);
  assert.equal(settings.trace.server, 'messages');
});

test('wrong types are replaced by defaults, each reported once by name', () => {
  const { settings, problems } = validateSettings({
    targetKernels: 'debian-12',
    useLiveKernel: 'yes',
    hints: { preferTracepoints: 1 },
    trace: { server: 'loud' },
  });
  assert.deepEqual(settings, DEFAULT_SETTINGS);
  assert.equal(problems.length, 4);
  assert.match(problems[0], /bpfAtlas\.targetKernels must be a list of strings, got "debian-12"/);
  assert.match(problems[1], /bpfAtlas\.useLiveKernel must be true or false, got "yes"; using true/);
  assert.match(problems[2], /bpfAtlas\.hints\.preferTracepoints must be true or false, got a number/);
  assert.match(problems[3], /bpfAtlas\.trace\.server must be one of off, messages, verbose, got "loud"/);
});

test('bad list entries and severity values are dropped, good ones kept', () => {
  const { settings, problems } = validateSettings({
    targetKernels: ['debian-12', 7, '', '  6.1 '],
    severity: { 'fully-inlined': 'warning', 'inlined': 'error', 'renamed': 'fatal', 'clone': 3 },
  });
  assert.deepEqual(settings.targetKernels, ['debian-12', '6.1']);
  assert.deepEqual(settings.severity, { 'fully-inlined': 'warning' });
  assert.equal(problems.length, 4);
  assert.match(problems[0], /targetKernels: ignored 2 entries/);
  assert.match(problems[1], /unknown hazard "inlined"/);
  assert.match(problems[2], /severity\.renamed must be one of error, warning, information, hint, off, got "fatal"/);
  assert.match(problems[3], /severity\.clone .* got a number/);
});

test('a section that is not an object is reported and the defaults used', () => {
  for (const raw of ['on', 42, [1, 2], true]) {
    const { settings, problems } = validateSettings(raw);
    assert.deepEqual(settings, DEFAULT_SETTINGS);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /bpfAtlas settings must be an object/);
  }
});

test('the defaults are never shared with the result (no aliasing)', () => {
  const { settings } = validateSettings({});
  settings.targetKernels.push('x');
  settings.hints.preferFentry = false;
  assert.deepEqual(DEFAULT_SETTINGS.targetKernels, []);
  assert.equal(DEFAULT_SETTINGS.hints.preferFentry, true);
});

test('hostile input never throws', () => {
  const cyclic: Record<string, unknown> = { targetKernels: [] };
  cyclic.self = cyclic;
  const weird: unknown[] = [
    cyclic,
    Object.create(null),
    { hints: null, trace: 'verbose', severity: [] },
    { hints: { preferTracepoints: null }, severity: { __proto__: 'error' } },
    { targetKernels: new Array(10000).fill('6.1') },
    { useLiveKernel: Symbol('x') },
  ];
  for (const raw of weird) assert.doesNotThrow(() => validateSettings(raw));
});
