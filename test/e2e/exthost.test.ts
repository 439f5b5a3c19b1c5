// Runs the mocha suites of test/e2e/suite inside a real VS Code extension host with
// @vscode/test-electron's own runTests, pointed at test/e2e/bin/code: a shim that stands in for the
// VS Code executable and runs code-server + headless chromium (see harness/codeShim.ts). Needs the
// built extension (npm run build) and the editors (scripts/e2e/install-editors.sh).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runTests } from '@vscode/test-electron';
import { missingEditors, ROOT, WORKSPACE } from './harness/editors';

test('extension tests pass in code-server\'s extension host (via @vscode/test-electron runTests)', async () => {
  const missing = missingEditors();
  assert.equal(missing, undefined, missing);
  assert.ok(fs.existsSync(path.join(ROOT, 'dist/client.js')), 'dist/client.js missing: run npm run build');
  const code = await runTests({
    vscodeExecutablePath: path.join(ROOT, 'test/e2e/bin/code'),
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(ROOT, 'out/test/e2e/suite/index.js'),
    launchArgs: [WORKSPACE],
  });
  assert.equal(code, 0);
});
