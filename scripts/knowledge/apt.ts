// Downloads exact Debian package versions with apt-get through a private configuration under
// <repo>/.cache/apt (its own sources list, lists and archive cache): the system's apt setup is never
// read or changed. Shared by the knowledge generators (linux-source packages for helpers.json,
// program-types.json and kfuncs.json, and the packages that carry each kernel's .config).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface AptPackage {
  name: string;
  version: string;
  /** Debian suite that carries this version (`bookworm-security`, `sid`). */
  suite: string;
  /** Architecture in the file name (`all`, `amd64`). */
  arch: string;
}

/** The file name apt-get download gives a package (epoch-free versions). */
export function aptFileName(pkg: AptPackage): string {
  return `${pkg.name}_${pkg.version}_${pkg.arch}.deb`;
}

/** Downloads the packages of `pkgs` that are not in `destDir` yet. */
export function aptDownload(pkgs: readonly AptPackage[], destDir: string, aptDir: string): void {
  const missing = pkgs.filter((p) => !fs.existsSync(path.join(destDir, aptFileName(p))));
  if (!missing.length) return;
  for (const sub of ['lists/partial', 'cache/archives/partial']) fs.mkdirSync(path.join(aptDir, sub), { recursive: true });
  fs.mkdirSync(destDir, { recursive: true });
  const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
  const sources = [...new Set(missing.map((p) => p.suite))].sort().map((suite) => {
    const archive = suite.endsWith('-security') ? 'http://deb.debian.org/debian-security' : 'http://deb.debian.org/debian';
    return `deb [arch=amd64 signed-by=${keyring}] ${archive} ${suite} main`;
  });
  const sourceList = path.join(aptDir, 'sources.list');
  fs.writeFileSync(sourceList, sources.join('\n') + '\n');
  const options = [
    '-o', `Dir::Etc::SourceList=${sourceList}`, '-o', 'Dir::Etc::SourceParts=/nonexistent',
    '-o', `Dir::State::Lists=${path.join(aptDir, 'lists')}`, '-o', `Dir::Cache=${path.join(aptDir, 'cache')}`,
    '-o', 'APT::Architecture=amd64', '-o', 'APT::Architectures=amd64', '-o', 'Debug::NoLocking=1',
  ];
  execFileSync('apt-get', [...options, 'update'], { stdio: 'inherit' });
  for (const pkg of missing) {
    try {
      execFileSync('apt-get', [...options, 'download', `${pkg.name}=${pkg.version}`], { cwd: destDir, stdio: 'inherit' });
    } catch {
      throw new Error(`apt-get could not download ${pkg.name}=${pkg.version} from ${pkg.suite}; ` +
        `if the archive dropped it, fetch ${aptFileName(pkg)} from https://snapshot.debian.org/ into ${destDir}`);
    }
  }
}

/** The repository root: the nearest folder above `from` with package.json and data/. */
export function repoRoot(from = __dirname): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'data'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no repository root above ${from}`);
    dir = parent;
  }
}
