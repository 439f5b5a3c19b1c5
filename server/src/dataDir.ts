// Locates the bundled data/ folder (atlases, knowledge) from wherever the code runs: the esbuild
// bundles in dist/, the tsc output in out/, or an installed extension. BPF_ATLAS_DATA overrides.

import fs from 'node:fs';
import path from 'node:path';

export function dataDir(): string {
  const fromEnv = process.env.BPF_ATLAS_DATA;
  if (fromEnv) return fromEnv;
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'data'))) {
      return path.join(dir, 'data');
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.join(__dirname, '..', 'data');
}
