#!/usr/bin/env node
// Renders images/icon.svg to images/icon.png (128×128, transparent corners: the size the VS Code
// marketplace asks for) with Debian's chromium through playwright-core, which
// scripts/e2e/install-editors.sh installs. Run it after editing the SVG and commit both files.
//
//   node scripts/icon/render.mjs [SIZE]
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const size = Number(process.argv[2] ?? 128);
const svg = fs.readFileSync(path.join(root, 'images/icon.svg'), 'utf8');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(executablePath)) {
  console.error(`render.mjs: ${executablePath} is missing: run scripts/e2e/install-editors.sh (or set CHROMIUM)`);
  process.exit(1);
}
const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg style="display:block;width:${size}px;height:${size}px" `)}</body></html>`);
  const out = path.join(root, 'images/icon.png');
  await page.screenshot({ path: out, omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
  console.log(`${path.relative(root, out)}: ${size}×${size}, ${fs.statSync(out).size} bytes`);
} finally {
  await browser.close();
}
