// Crafted Debian packages for the tests of how bpf-atlas unpacks .debs someone else made: an ar
// archive (debian-binary, control.tar.gz, data.tar.gz) whose data tar is written header by header,
// so it can hold what no directory tree can: absolute member paths, `..`, links to anywhere, the
// same name twice. dpkg-deb reads these like any package (it does not judge member paths).

import fs from 'node:fs';
import zlib from 'node:zlib';
import { Header } from 'tar';

export interface TarMember {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'FIFO';
  /** Target of a link. */
  linkpath?: string;
  body?: string | Buffer;
  mode?: number;
}

/** A tar archive of the members, in order, with nothing normalised. */
export function tarOf(members: TarMember[]): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const body = m.body === undefined ? Buffer.alloc(0) : Buffer.from(m.body);
    const type = m.type ?? 'File';
    const h = new Header({
      path: m.path, type, linkpath: m.linkpath, size: type === 'File' ? body.length : 0,
      mode: m.mode ?? (type === 'Directory' ? 0o755 : 0o644), uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: new Date(0),
    });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block);
    if (type === 'File' && body.length) blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** An ar archive (the .deb container) of named members. */
function arOf(members: [string, Buffer][]): Buffer {
  const out: Buffer[] = [Buffer.from('!<arch>\n', 'latin1')];
  for (const [name, data] of members) {
    const header = `${`${name}/`.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'100644'.padEnd(8)}${String(data.length).padEnd(10)}\`\n`;
    out.push(Buffer.from(header, 'latin1'), data);
    if (data.length % 2) out.push(Buffer.from('\n', 'latin1'));
  }
  return Buffer.concat(out);
}

/** Writes a .deb whose data archive holds exactly `members`. */
export function writeDeb(file: string, members: TarMember[], name = 'linux-image-crafted'): void {
  const control = `Package: ${name}\nVersion: 1.0\nArchitecture: amd64\nMaintainer: bpf-atlas tests <tests@example.invalid>\nDescription: crafted package for the hostile-input tests\n`;
  const controlTar = zlib.gzipSync(tarOf([{ path: './', type: 'Directory' }, { path: './control', body: control }]));
  const dataTar = zlib.gzipSync(tarOf(members));
  fs.writeFileSync(file, arOf([['debian-binary', Buffer.from('2.0\n')], ['control.tar.gz', controlTar], ['data.tar.gz', dataTar]]));
}
