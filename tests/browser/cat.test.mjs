// End-to-end: the localization pages and the CAT editor in headless Chromium.
// Starts `qiantang serve` on a fresh data dir (the bundled sample 济公全传 is
// imported), logs in as the administrator (owner of org demo, so translator
// and reviewer at once), creates a project through the form, seeds the TM
// from a TMX file, then translates, uses the TM match, approves, sees a QA
// finding and its fix, resolves a version conflict and runs a TM-only
// pre-translation job with live progress.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { chromium } from 'playwright-core';

const BIN = process.env.QIANTANG_BIN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
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

const xml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

before(async () => {
  assert.ok(BIN, 'set QIANTANG_BIN to the qiantang binary');
  dataDir = mkdtempSync(join(tmpdir(), 'qiantang-cat-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, 'serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
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

async function login(page, next) {
  await page.goto(`${base}/login?lang=en&next=${encodeURIComponent(next)}`);
  await page.fill('input[name=email]', 'admin@localhost');
  await page.fill('input[name=password]', adminPassword);
  await page.locator('form.login button').click();
  await page.waitForURL((u) => u.pathname === next);
}

// The row of segment `key` and its textarea.
const row = (page, key) => page.locator(`#seg-${key}`);
const box = (page, key) => page.locator(`#seg-${key} textarea.tgt-input`);
async function activeKey(page) {
  return page.evaluate(() => document.activeElement && document.activeElement.closest('tr.seg')?.id.replace(/^seg-/, ''));
}
async function openEditor(page, project) {
  await page.goto(`${base}/l10n/${project}/chapters/1?lang=en`);
  await page.locator('#cat[data-ready=true]').waitFor();
}

test('a reviewer localizes chapter 1 in the browser: TM, keyboard, approve, QA, conflicts, jobs', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, '/l10n');

  // 1. Create the project through the form (the work page links here).
  assert.match(await page.locator('h1').innerText(), /Localization/);
  const work = await page.$eval('select[name=work]', (s) => [...s.options].find((o) => o.textContent.includes('济公')).value);
  await page.selectOption('select[name=work]', work);
  await page.fill('input[name=locale]', 'en');
  await page.selectOption('select[name=market]', 'US');
  await page.locator('form.l10n-create button').click();
  await page.waitForURL(/\/l10n\/\d+$/);
  const project = page.url().match(/\/l10n\/(\d+)$/)[1];
  assert.ok(await page.locator('a.chapter-link').count() >= 10, 'chapters listed with editor links');
  assert.equal(await page.locator('section#exports a[href$="format=epub"]').count(), 1);

  // 2. Seed the organization's TM from a TMX file whose one unit is a real segment of chapter 1.
  const view = await (await page.request.get(`${base}/api/v1/l10n/projects/${project}/chapters/1`)).json();
  const segs = view.segments;
  const i = segs.findIndex((s, k) => k > 0 && k + 3 < segs.length
    && [0, 1, 2, 3].every((d) => segs[k + d].source.length >= 6 && !segs.slice(0, k + d).some((x) => x.source === segs[k + d].source)));
  assert.ok(i > 0, 'chapter 1 has four distinct segments in a row');
  const [a, b, c, d] = [segs[i], segs[i + 1], segs[i + 2], segs[i + 3]];
  const tmTarget = 'The memory already knows this sentence.';
  const tmx = `<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header creationtool="qiantang-test" creationtoolversion="1" segtype="sentence" o-tmf="none" adminlang="en" srclang="zh-Hans" datatype="plaintext"/>
<body><tu><tuv xml:lang="zh-Hans"><seg>${xml(b.source)}</seg></tuv><tuv xml:lang="en"><seg>${tmTarget}</seg></tuv></tu></body></tmx>`;
  const csrf = await page.$eval('meta[name=csrf-token]', (m) => m.content);
  const imp = await page.request.post(`${base}/api/v1/tm/import?org=demo`, {
    headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/x-tmx+xml' }, data: tmx,
  });
  assert.equal(imp.status(), 200, await imp.text());

  // 3. The editor: source and target side by side with language tags.
  await openEditor(page, project);
  assert.equal(await row(page, a.key).locator('td.src').getAttribute('lang'), 'zh-Hans');
  assert.equal(await row(page, a.key).locator('td.tgt').getAttribute('lang'), 'en');
  assert.equal(await page.locator('#cat').getAttribute('data-can-review'), 'true');

  // Type a translation and save with Ctrl+Enter: saved as translated, focus moves on.
  await box(page, a.key).click();
  await box(page, a.key).fill('Daoji laughed at the world.');
  await page.keyboard.press('Control+Enter');
  await page.locator(`#seg-${a.key}[data-state=translated]`).waitFor();
  assert.equal(await row(page, a.key).locator('.badge').innerText(), 'translated');
  assert.equal(await activeKey(page), b.key, 'Ctrl+Enter moves to the next segment');

  // The next segment has the TM match with its score and the diff; Ctrl+1 inserts it.
  const match = page.locator('#cat-panel li.tm-match').first();
  await match.waitFor();
  assert.match(await match.locator('.score').innerText(), /^\d+%$/);
  assert.ok(parseInt(await match.locator('.score').innerText(), 10) >= 75);
  assert.equal(await match.locator('.tm-tgt').innerText(), tmTarget);
  await page.keyboard.press('Control+1');
  assert.equal(await box(page, b.key).inputValue(), tmTarget);
  // Ctrl+Shift+Enter approves (the administrator owns org demo: a reviewer).
  await page.keyboard.press('Control+Shift+Enter');
  await page.locator(`#seg-${b.key}[data-state=approved]`).waitFor();
  assert.equal(await activeKey(page), c.key);

  // Alt+Up / Ctrl+Down navigate.
  await page.keyboard.press('Alt+ArrowUp');
  assert.equal(await activeKey(page), b.key);
  await page.keyboard.press('Control+ArrowDown');
  assert.equal(await activeKey(page), c.key);

  // A target with leftover Chinese gets a QA finding (no automatic fix); its
  // doubled space gets one, and the one-click fix saves the corrected text.
  await box(page, c.key).fill('He walked to 灵隐寺  at dawn.');
  await page.keyboard.press('Control+Enter');
  await page.locator(`#seg-${c.key}[data-state=translated]`).waitFor();
  await page.keyboard.press('Alt+ArrowUp');
  assert.equal(await activeKey(page), c.key);
  await page.locator('#cat-panel li.finding[data-check=leftover_han]').waitFor();
  assert.match(await page.locator('#cat-panel li.finding[data-check=leftover_han]').innerText(), /灵隐寺/);
  assert.ok(await row(page, c.key).locator('.qa-flag').isVisible(), 'the row is flagged');
  const fix = page.locator('#cat-panel li.finding[data-check=double_space] button.fix');
  await fix.click();
  await page.waitForFunction((k) => !document.querySelector('#cat-panel li.finding[data-check=double_space]')
    && !document.querySelector(`#seg-${k}.saving`), c.key);
  assert.equal(await box(page, c.key).inputValue(), 'He walked to 灵隐寺 at dawn.');
  assert.equal(await page.locator('#cat-panel li.finding[data-check=leftover_han]').count(), 1);
  // The QA filter shows the flagged segment.
  await page.locator('input[name=cat-filter][value=qa]').check();
  await page.locator(`#seg-${d.key}`).waitFor({ state: 'hidden' });
  assert.equal(await row(page, c.key).isVisible(), true);

  // Filters: only the approved segment is left under "approved".
  await page.locator('input[name=cat-filter][value=approved]').check();
  await page.locator(`#seg-${a.key}`).waitFor({ state: 'hidden' });
  assert.equal(await page.locator('tr.seg:not([hidden])').count() >= 1, true);
  assert.equal(await row(page, b.key).isVisible(), true);
  await page.locator('input[name=cat-filter][value=all]').check();

  // Comments: add one to the approved segment.
  await box(page, b.key).click();
  await page.fill('#cat-panel textarea.comment-body', 'Checked against the TM.');
  await page.locator('#cat-panel form.cat-comment-form button').click();
  await page.locator('#cat-panel .comment-list li', { hasText: 'Checked against the TM.' }).waitFor();

  // A version conflict: someone else saves segment d behind the editor's back.
  const dv = segs[i + 3];
  const other = await page.request.put(`${base}/api/v1/l10n/segments/${dv.id}`, {
    headers: { 'X-CSRF-Token': csrf }, data: { version: dv.version, target: 'Their version.', state: 'translated' },
  });
  assert.equal(other.status(), 200, await other.text());
  await box(page, d.key).fill('My version.');
  await page.keyboard.press('Control+Enter');
  const conflict = row(page, d.key).locator('.row-msg.conflict');
  await conflict.waitFor();
  await conflict.locator('button.reload').click();
  await conflict.locator('button', { hasText: 'Use my text' }).waitFor();
  assert.equal(await box(page, d.key).inputValue(), 'Their version.');
  await conflict.locator('button', { hasText: 'Use my text' }).click();
  assert.equal(await box(page, d.key).inputValue(), 'My version.');
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction((k) => document.querySelector(`#seg-${k} .badge`)?.textContent === 'translated'
    && !document.querySelector(`#seg-${k}.dirty`), d.key);

  // 4. Reload: the states persisted.
  await openEditor(page, project);
  assert.equal(await row(page, a.key).getAttribute('data-state'), 'translated');
  assert.equal(await row(page, b.key).getAttribute('data-state'), 'approved');
  assert.equal(await box(page, b.key).inputValue(), tmTarget);
  assert.equal(await box(page, d.key).inputValue(), 'My version.');
  const hist = await (await page.request.get(`${base}/api/v1/l10n/segments/${b.id}/history`)).json();
  assert.equal(hist.at(-1).state, 'approved');

  // 5. The project page: QA summary, glossary, a TM-only pre-translation job with live progress.
  await page.goto(`${base}/l10n/${project}?lang=en`);
  await page.locator('form.gl-add input[name=source]').fill('济公');
  await page.locator('form.gl-add input[name=target]').fill('Jigong');
  await page.locator('form.gl-add select[name=kind]').selectOption('character');
  await page.locator('form.gl-add button').click();
  await page.locator('table.glossary td', { hasText: 'Jigong' }).waitFor();
  await page.locator('form.pretranslate input[name=chapters]').fill('2');
  await page.locator('form.pretranslate input[name=tm_only]').check();
  await page.locator('form.pretranslate button').click();
  await page.waitForURL(/#jobs$/);
  await page.locator('tr.job[data-state=done]').waitFor({ timeout: 20000 });
  await page.locator('table.glossary form.gl-delete button').first().click();
  await page.waitForURL(/#glossary$/);
  assert.equal(await page.locator('table.glossary td', { hasText: 'Jigong' }).count(), 0);

  assert.deepEqual(errors, [], 'no script errors');
  await page.close();
});
