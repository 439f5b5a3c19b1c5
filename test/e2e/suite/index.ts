// Entry point the extension host loads (--extensionTestsPath): runs the mocha suites of this folder
// (*.e2e.js) over the vscode API and resolves or rejects with their result, which the host turns
// into its exit code. Standard VS Code extension-test shape: it would run unchanged in a desktop
// VS Code started by @vscode/test-electron.

import fs from 'node:fs';
import path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', timeout: 60_000, color: false, reporter: 'spec' });
  for (const f of fs.readdirSync(__dirname).filter((n) => n.endsWith('.e2e.js')).sort()) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      console.log(`extension tests: ${failures} failed`);
      if (failures) reject(new Error(`${failures} extension test(s) failed`));
      else resolve();
    });
  });
}
