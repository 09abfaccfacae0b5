// The HTML estate report in headless Debian Chromium (playwright-core): the figures it shows are the JSON
// report's, it renders with JavaScript off, it loads nothing, untrusted text stays text; and a screenshot
// for people (test-results/report.png; docs/images/report.png when missing or UPDATE_SCREENSHOTS=1).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildReport, renderReport } from '../../server/src/cli/reportCommand.ts';
import type { EstateReport } from '../../server/src/core/estate.ts';
import { formatBytes } from '../../server/src/core/units.ts';
import { fakeGather, ODD_DIR, TODAY, writeEstate } from './support/estate.ts';

const CHROMIUM = process.env.PLIMSOLL_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = join(__dirname, '..', '..');
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (apt-get install -y chromium): the HTML report was not opened in a browser`;
if (skip) process.stderr.write(`report-html: SKIPPED: ${skip}\n`);

let estate = '';
let out = '';
let browser: Browser | undefined;
let page: Page;
let json: EstateReport;
const requests: string[] = [];

describe('the HTML estate report in headless Chromium', { skip }, () => {
  before(async () => {
    estate = writeEstate();
    out = mkdtempSync(join(tmpdir(), 'plimsoll-report-html-'));
    const built = await buildReport(
      { command: 'report', paths: ['.'], format: 'html', buildArgs: {}, offline: false, noRegistry: false, soonDays: 30, quiet: true },
      { cwd: estate, version: 'test', today: TODAY, gather: fakeGather },
    );
    json = JSON.parse(renderReport('json', built)) as EstateReport;
    writeFileSync(join(out, 'report.html'), renderReport('html', built));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // Tables and charts must be readable without JavaScript.
    const context = await browser.newContext({ viewport: { width: 1280, height: 1100 }, javaScriptEnabled: false, deviceScaleFactor: 1 });
    context.on('request', (r) => requests.push(r.url()));
    page = await context.newPage();
    await page.goto(pathToFileURL(join(out, 'report.html')).href);
  });

  after(async () => {
    await browser?.close();
    if (out) rmSync(out, { recursive: true, force: true });
    if (estate) rmSync(estate, { recursive: true, force: true });
  });

  const text = async (selector: string): Promise<string> => ((await page.locator(selector).textContent()) ?? '').trim();
  const attrs = (selector: string, ...names: string[]): Promise<string[][]> =>
    page.locator(selector).evaluateAll((els, ns) => els.map((e) => ns.map((n) => e.getAttribute(n) ?? '')), names);

  test('the summary figures are the JSON report\'s', async () => {
    const s = json.summary;
    const want: Record<string, string> = {
      files: String(s.files),
      stages: String(s.stages),
      baseImageUses: String(s.baseImageUses),
      distinctBaseImages: String(s.distinctBaseImages),
      digestShare: `${(s.digestShare * 100).toFixed(1)}%`,
      notApproved: String(s.notApproved),
      secretFindings: String(s.secretFindings),
      sizeFindings: String(s.sizeFindings),
      waiversExpiringSoon: String(s.waiversExpiringSoon),
      waiversExpired: String(s.waiversExpired),
    };
    for (const [id, value] of Object.entries(want)) assert.equal(await text(`[data-figure="${id}"]`), value, id);
    assert.equal(await text('[data-figure="digestShare"]'), '18.2%');
    for (const [pin, n] of Object.entries(s.pins)) assert.equal(await text(`[data-pin-count="${pin}"]`), String(n), pin);
  });

  test('the charts show the base images by use, the pin states and the sizes', async () => {
    assert.deepEqual(await attrs('#chart-bases .bar', 'data-label', 'data-value'), json.baseImages.slice(0, 15).map((b) => [b.image, String(b.uses)]));
    assert.deepEqual(await attrs('#chart-pins .pin', 'data-pin', 'data-value'), Object.entries(json.summary.pins).filter(([, n]) => n > 0).map(([p, n]) => [p, String(n)]));
    assert.deepEqual(await attrs('#chart-sizes .bar', 'data-label', 'data-value'), json.sizes.slice(0, 15).map((z) => [z.image, String(z.bytes)]));
    assert.equal(await page.locator('#chart-sizes .bar .num').first().textContent(), formatBytes(json.sizes[0]!.bytes));
    for (const id of ['#chart-bases', '#chart-pins', '#chart-sizes']) {
      const box = await page.locator(id).boundingBox();
      assert.ok(box && box.width > 300 && box.height > 20, `${id} is laid out`);
    }
  });

  test('the tables list what the JSON lists', async () => {
    assert.equal(await page.locator('#not-approved tbody tr').count(), json.notApproved.length);
    assert.deepEqual(await page.locator('#not-approved tbody tr td:first-child').allTextContents(), json.notApproved.map((r) => r.image));
    assert.deepEqual((await attrs('#waivers [data-status]', 'data-status')).map(([s]) => s), json.waivers.map((w) => w.status));
    assert.deepEqual(await page.locator('#waivers tbody tr td:nth-child(2)').allTextContents(), json.waivers.map((w) => w.owner ?? '—'));
    assert.deepEqual(await page.locator('#base-images tbody tr td:first-child').allTextContents(), json.baseImages.map((b) => b.image));
    assert.deepEqual(await page.locator('#rules tbody tr td:first-child').allTextContents(), json.rules.map((r) => r.ruleId));
    assert.equal(await page.locator('#files tbody tr').count(), json.files.reduce((n, f) => n + Math.max(1, f.stages.length), 0));
  });

  test('untrusted text stays text; no script; nothing fetched but the file itself', async () => {
    assert.equal(await page.locator('script').count(), 0);
    assert.equal(await page.locator('#files td', { hasText: `${ODD_DIR}/Dockerfile` }).count(), 1);
    assert.equal(await page.locator('#files b, #waivers script, #waivers td script').count(), 0);
    assert.equal(await page.locator('#waivers td', { hasText: '<script>alert(1)</script>' }).count(), 1);
    assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), []);
    const width = await page.locator('html').evaluate((e) => e.scrollWidth);
    assert.ok(width <= 1280, `no horizontal overflow (${width}px)`);
  });

  test('screenshot', async () => {
    const results = join(ROOT, 'test-results');
    mkdirSync(results, { recursive: true });
    await page.screenshot({ path: join(results, 'report.png'), fullPage: true });
    // The README shows the top of the page: the figures and the charts.
    await page.screenshot({ path: join(results, 'report-top.png'), clip: { x: 0, y: 0, width: 1280, height: 1100 } });
    const docs = join(ROOT, 'docs', 'images', 'report.png');
    if (!existsSync(docs) || process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(join(results, 'report-top.png'), docs);
    assert.ok(existsSync(join(results, 'report.png')));
  });
});
