// The client's own check for untrusted workspaces: atlas files named by workspace or folder
// settings are never forwarded to the server; the user's global value is.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { restrictForTrust, type InspectedValue } from '../../../client/src/trust';

const inspected: Record<string, InspectedValue<unknown>> = {
  atlasFiles: { defaultValue: [], globalValue: ['/home/me/atlases/prod.json'], workspaceValue: ['../../etc/shadow'] },
};
const section = { targetKernels: ['debian-12'], atlasFiles: ['../../etc/shadow'], useLiveKernel: true };

test('trusted workspaces pass the section through unchanged', () => {
  assert.equal(restrictForTrust(section, true, (k) => inspected[k]), section);
});

test('untrusted workspaces get the user-level atlasFiles only', () => {
  const out = restrictForTrust(section, false, (k) => inspected[k]);
  assert.deepEqual(out, { targetKernels: ['debian-12'], atlasFiles: ['/home/me/atlases/prod.json'], useLiveKernel: true });
});

test('untrusted workspaces without a user value get the default (no files)', () => {
  const out = restrictForTrust(section, false, () => ({ defaultValue: [], workspaceFolderValue: ['x.json'] }));
  assert.deepEqual(out?.atlasFiles, []);
  assert.deepEqual(restrictForTrust(section, false, () => undefined)?.atlasFiles, []);
});

test('a missing section stays missing', () => {
  assert.equal(restrictForTrust(null, false, () => undefined), null);
  assert.equal(restrictForTrust(undefined, false, () => undefined), undefined);
});
