// End-to-end: the hub in headless Chromium. Starts `qiantang serve` on a free
// port with a fresh data dir (the bundled sample is imported), then drives
// the catalog, a chapter with highlighted terms, the gloss on hover, the
// language switch, KB search and an upload through the form.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';
import { chromium } from 'playwright-core';

const BIN = process.env.QIANTANG_BIN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CORPUS = resolve(process.env.QIANTANG_CORPUS || '../../../shared/corpus');
let server, browser, base, dataDir, adminPassword;

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
    s.on('error', rej);
  });
}

async function waitFor(url, ms = 30000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { const r = await fetch(url); if (r.ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`hub did not answer at ${url}`);
}

before(async () => {
  assert.ok(BIN, 'set QIANTANG_BIN to the qiantang binary');
  dataDir = mkdtempSync(join(tmpdir(), 'qiantang-e2e-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, 'serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  // The first start prints the administrator's one-time password on stdout.
  let out = '';
  server.stdout.on('data', (d) => { out += d.toString(); });
  await waitFor(`${base}/healthz`);
  const m = out.match(/one-time password: (\S+)/);
  assert.ok(m, `no one-time password printed: ${out}`);
  adminPassword = m[1];
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill('SIGTERM');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

test('anonymous readers see the published sample but cannot edit the KB', async () => {
  const page = await browser.newPage();
  const r = await page.goto(`${base}/kb/concepts/place.west-lake/edit`);
  assert.match(page.url(), /\/login/, 'editing redirects to the login page');
  assert.equal(r.status(), 200);
  const api = await page.request.get(`${base}/api/v1/me`);
  assert.equal(api.status(), 401);
  await page.close();
});

test('catalog → chapter → highlighted term shows its gloss and market rendering', async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  const link = page.locator('a.work-link', { hasText: '济公全传' });
  await assert.doesNotReject(link.waitFor());
  await link.click();
  await page.waitForURL(/\/works\/\d+$/);
  assert.equal(await page.locator('svg.chart.categories').count(), 1, 'profile chart on the work page');
  await page.locator('ol.chapters a').first().click();
  await page.waitForURL(/\/chapters\/1/);
  const term = page.locator('span.term[data-concept="place.lingyin-temple"]').first();
  await term.waitFor();
  const gloss = term.locator('.gloss');
  assert.equal(await gloss.isVisible(), false, 'gloss hidden before hover');
  await term.hover();
  assert.equal(await gloss.isVisible(), true, 'gloss visible on hover');
  const text = await gloss.innerText();
  assert.match(text, /灵隐寺/);
  assert.match(text, /Lingyin/i);
  assert.match(text, /US \(en\)/, 'the rendering for the chosen market');
  // Choosing another market updates the gloss (the vendored script reloads with ?market=).
  await page.selectOption('#market', 'VN');
  await page.waitForURL(/market=VN/);
  const vn = page.locator('span.term[data-concept="place.west-lake"] .rendering').first();
  await page.locator('span.term[data-concept="place.west-lake"]').first().hover();
  assert.match(await vn.innerText(), /Tây Hồ/);
  await page.close();
});

test('UI language switches between zh-Hans and en', async () => {
  const page = await browser.newPage();
  // Chromium asks for English (Accept-Language); pick Chinese explicitly first.
  await page.goto(`${base}/lang/zh-Hans?next=/kb`);
  assert.match(await page.locator('h1').innerText(), /文化元素知识库/);
  await page.locator('a.lang').click();
  await page.waitForLoadState();
  assert.match(await page.locator('h1').innerText(), /Cultural-element knowledge base/);
  // KB search finds a concept and its page lists where it occurs.
  await page.fill('input[name=q]', 'Leifeng');
  await page.locator('form.search button').click();
  await page.locator('ul.results a').first().click();
  assert.match(await page.locator('h1').innerText(), /雷峰塔/);
  await page.close();
});

test('import needs a login; a logged-in owner uploads a novel, an empty file is refused', async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/import?lang=en`);
  // Anonymous visitors are sent to the login page, then back.
  await page.waitForURL(/\/login\?next=/);
  await page.fill('input[name=email]', 'admin@localhost');
  await page.fill('input[name=password]', 'not-the-password');
  await page.locator('form.login button').click();
  await page.locator('p.error').waitFor();
  await page.fill('input[name=email]', 'admin@localhost');
  await page.fill('input[name=password]', adminPassword);
  await page.locator('form.login button').click();
  await page.waitForURL(/\/import/);
  await page.setInputFiles('input[name=file]', join(CORPUS, 'novels_zh/yushi_mingyan_28_liang_zhu_episode.txt'));
  await page.fill('input[name=title]', '喻世明言 卷二十八');
  await page.locator('form.import button').click();
  await page.waitForURL(/\/works\/\d+$/);
  assert.match(await page.locator('h1').innerText(), /喻世明言/);
  await page.goto(`${base}/import?lang=en`);
  await page.setInputFiles('input[name=file]', { name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) });
  await page.locator('form.import button').click();
  await page.locator('p.error').waitFor();
  assert.match(await page.locator('p.error').innerText(), /empty\.txt: .*empty/);
  await page.close();
});
