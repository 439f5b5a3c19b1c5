// Every row of every knowledge file names its source (house rule: knowledge is data with provenance),
// and every file is documented in data/knowledge/README.md.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { dataDir } from '../../../server/src/dataDir';
import { KNOWLEDGE_FILES } from '../../../server/src/knowledge/load';

const knowledgeDir = path.join(dataDir(), 'knowledge');

/** Arrays of objects at the top level of a knowledge file: its tables. */
function tables(file: string): [string, Record<string, unknown>[]][] {
  const doc = JSON.parse(fs.readFileSync(path.join(knowledgeDir, file), 'utf8')) as Record<string, unknown>;
  return Object.entries(doc).filter((e): e is [string, Record<string, unknown>[]] => Array.isArray(e[1]));
}

for (const file of Object.values(KNOWLEDGE_FILES)) {
  test(`${file}: every row has a non-empty source`, () => {
    const found = tables(file);
    assert.ok(found.length > 0, `${file} has no tables`);
    let rows = 0;
    for (const [key, list] of found) {
      list.forEach((row, i) => {
        rows++;
        assert.equal(typeof row.source, 'string', `${file} ${key}[${i}] has no source`);
        assert.ok((row.source as string).trim().length > 0, `${file} ${key}[${i}] has an empty source`);
      });
    }
    assert.ok(rows > 0);
  });
}

test('README.md describes every knowledge file', () => {
  const readme = fs.readFileSync(path.join(knowledgeDir, 'README.md'), 'utf8');
  for (const file of Object.values(KNOWLEDGE_FILES)) assert.ok(readme.includes('`' + file + '`'), `${file} missing from README`);
});

test('evidence rows cite a GitHub issue whose url matches the ref', () => {
  const [[, rows]] = tables('evidence.json').filter(([k]) => k === 'evidence');
  for (const row of rows) {
    const m = /^([\w.-]+\/[\w.-]+)#(\d+)$/.exec(row.ref as string);
    assert.ok(m, `bad ref ${row.ref}`);
    assert.equal(row.url, `https://github.com/${m[1]}/issues/${m[2]}`);
    assert.ok((row.subjects as string[]).length > 0);
  }
});
