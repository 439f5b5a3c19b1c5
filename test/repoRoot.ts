// The repository root (the folder with package.json and test/fixtures), found from the sources
// or from the compiled out/ tree. One helper for every test layer; it imports nothing heavy.

import fs from 'node:fs';
import path from 'node:path';

export function repoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'test', 'fixtures'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the repository root above ${__dirname}`);
}
