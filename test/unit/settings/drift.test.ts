// Keeps the three descriptions of the settings in step: the server's SETTINGS table (the source of
// truth), package.json contributes.configuration (what VS Code shows and validates), and the
// settings table in docs/settings.md (copied into README.md; checked there too when README has one).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { HAZARD_NAMES, SETTINGS, SETTINGS_SECTION, SEVERITY_OVERRIDES, type SettingSpec } from '../../../server/src/settings';

const root = path.resolve(__dirname, '../../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const properties: Record<string, Record<string, unknown>> = pkg.contributes.configuration.properties;

const fullKey = (s: SettingSpec) => `${SETTINGS_SECTION}.${s.key}`;

interface TableRow { key: string; type: string; default: unknown; description: string }

/** Rows of the first Markdown table whose cells start with a `bpfAtlas.` key. */
function settingsTable(markdown: string): TableRow[] {
  const rows: TableRow[] = [];
  for (const line of markdown.split('\n')) {
    const m = /^\|\s*`(bpfAtlas\.[\w.]+)`\s*\|(.*)\|\s*$/.exec(line.trim());
    if (!m) continue;
    const cells = m[2].split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
    const def = /^`(.*)`$/.exec(cells[1] ?? '');
    rows.push({ key: m[1], type: cells[0], default: def ? JSON.parse(def[1]) : undefined, description: cells.slice(2).join('|') });
  }
  return rows;
}

function typeName(s: SettingSpec): string {
  switch (s.kind.type) {
    case 'boolean': return 'boolean';
    case 'string-array': return 'string[]';
    case 'enum': return s.kind.values.map((v) => JSON.stringify(v)).join(' | ');
    case 'severity-map': return 'object';
  }
}

/** The row the docs should have for a setting (printed on failure so it can be pasted). */
function expectedRow(s: SettingSpec): string {
  return `| \`${fullKey(s)}\` | ${typeName(s).replace(/\|/g, '\\|')} | \`${JSON.stringify(s.default)}\` | ${s.description} |`;
}

function checkTable(file: string, rows: TableRow[]): void {
  const hint = `expected rows for ${file}:\n${SETTINGS.map(expectedRow).join('\n')}`;
  assert.deepEqual(rows.map((r) => r.key), SETTINGS.map(fullKey), `${file}: settings table keys differ from SETTINGS\n${hint}`);
  for (const s of SETTINGS) {
    const row = rows.find((r) => r.key === fullKey(s))!;
    assert.deepEqual(row.default, s.default, `${file}: default of ${row.key}\n${hint}`);
    assert.equal(row.type, typeName(s), `${file}: type of ${row.key}\n${hint}`);
    assert.equal(row.description, s.description, `${file}: description of ${row.key}\n${hint}`);
  }
}

test('package.json declares exactly the SETTINGS keys, in order', () => {
  assert.deepEqual(Object.keys(properties), SETTINGS.map(fullKey));
});

test('package.json defaults, types, scopes and descriptions match SETTINGS', () => {
  for (const s of SETTINGS) {
    const p = properties[fullKey(s)];
    assert.deepEqual(p.default, s.default, `default of ${fullKey(s)}`);
    assert.equal(p.markdownDescription, s.description, `description of ${fullKey(s)}`);
    assert.equal(p.scope, s.scope, `scope of ${fullKey(s)}`);
    // VS Code itself ignores a workspace value of a restricted setting in Restricted Mode.
    assert.equal(p.restricted === true, s.restricted === true, `restricted of ${fullKey(s)}`);
    switch (s.kind.type) {
      case 'boolean': assert.equal(p.type, 'boolean'); break;
      case 'string-array': assert.equal(p.type, 'array'); assert.deepEqual(p.items, { type: 'string' }); break;
      case 'enum': assert.equal(p.type, 'string'); assert.deepEqual(p.enum, s.kind.values); break;
      case 'severity-map': {
        assert.equal(p.type, 'object');
        const props = p.properties as Record<string, { enum: string[] }>;
        assert.deepEqual(Object.keys(props), HAZARD_NAMES, `${fullKey(s)} lists every hazard`);
        for (const h of HAZARD_NAMES) assert.deepEqual(props[h].enum, SEVERITY_OVERRIDES, `${fullKey(s)}.${h} values`);
        break;
      }
    }
  }
});

test('settings that point at files are restricted in untrusted workspaces', () => {
  const restricted = SETTINGS.filter((s) => s.restricted).map(fullKey);
  assert.ok(restricted.includes('bpfAtlas.atlasFiles'));
  assert.deepEqual(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations, restricted);
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
});

test('docs/settings.md table matches SETTINGS', () => {
  const file = path.join(root, 'docs/settings.md');
  checkTable('docs/settings.md', settingsTable(fs.readFileSync(file, 'utf8')));
});

test('README.md settings table (when present) matches SETTINGS', (t) => {
  const file = path.join(root, 'README.md');
  const rows = fs.existsSync(file) ? settingsTable(fs.readFileSync(file, 'utf8')) : [];
  if (!rows.length) {
    t.skip('README.md has no settings table yet');
    return;
  }
  checkTable('README.md', rows);
});
