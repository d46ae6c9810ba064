// Opens a `sitectl preview --format html` page in headless Chromium (the
// system's /usr/bin/chromium, driven by playwright-core: no downloaded
// browser) and checks what a customer would see.
//
//   node preview_check.mjs PAGE.html SCREENSHOT.png EXPECTED_PRICE
//
// Fails when the page makes any request other than the file itself, when
// the diagram or the summary is not visible at the top of the page, when
// the diagram does not name the app tier and the data tier, or when spec
// text ran as script. Saves a full-page screenshot either way.
import path from 'node:path';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [pagePath, screenshot, expectedPrice] = process.argv.slice(2);
if (!pagePath || !screenshot || !expectedPrice) {
  console.error('usage: node preview_check.mjs PAGE.html SCREENSHOT.png EXPECTED_PRICE');
  process.exit(2);
}
const url = pathToFileURL(path.resolve(pagePath)).href;
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const failures = [];
try {
  const viewport = { width: 1280, height: 900 };
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const requests = [];
  // Every request but the page itself is recorded and refused: the page must
  // be whole on its own (no font, script, image, stylesheet or beacon).
  page.on('request', (request) => {
    if (request.url() !== url) requests.push(request.url());
  });
  await context.route('**/*', (route) =>
    route.request().url() === url ? route.continue() : route.abort());
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForTimeout(200);

  const visibleAtTop = async (selector, what) => {
    const locator = page.locator(selector).first();
    if (!(await locator.isVisible())) {
      failures.push(`${what} (${selector}) is not visible`);
      return;
    }
    const box = await locator.boundingBox();
    if (!box || box.width <= 0 || box.height <= 0) {
      failures.push(`${what} (${selector}) has an empty bounding box: ${JSON.stringify(box)}`);
    } else if (box.y < 0 || box.y >= viewport.height || box.x < 0 || box.x + box.width > viewport.width) {
      failures.push(`${what} (${selector}) does not start inside the first screen: ${JSON.stringify(box)}`);
    }
  };
  await visibleAtTop('svg#diagram', 'the architecture diagram');
  await visibleAtTop('#summary', 'the summary cards');
  await visibleAtTop('#price', 'the list price');
  const responsibilities = page.locator('#responsibilities table');
  if (!(await responsibilities.isVisible())) {
    failures.push('the responsibilities table is not visible');
  } else {
    const box = await responsibilities.boundingBox();
    if (!box || box.width <= 0 || box.height <= 0) failures.push('the responsibilities table is empty');
    const rows = await page.locator('#responsibilities tbody tr').count();
    if (rows < 4) failures.push(`the responsibilities table has ${rows} rows, not 4`);
  }

  const price = (await page.locator('#price .value').innerText()).trim();
  if (price !== expectedPrice) failures.push(`the price reads "${price}", not "${expectedPrice}"`);
  const diagram = await page.locator('svg#diagram').textContent();
  for (const name of ['App tier', 'Data tier']) {
    if (!diagram.includes(name)) failures.push(`the diagram does not name the ${name}`);
  }
  const scripts = await page.locator('script').count();
  if (scripts > 0) failures.push(`the page holds ${scripts} <script> element(s)`);
  if (await page.evaluate(() => 'pwned' in window)) failures.push('spec text ran as script');
  if (requests.length > 0) failures.push(`the page made network requests: ${requests.join(', ')}`);

  fs.mkdirSync(path.dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${screenshot}`);
} finally {
  await browser.close();
}
if (failures.length > 0) {
  for (const failure of failures) console.error(`FAIL: ${failure}`);
  process.exit(1);
}
console.log(`ok: ${pagePath}`);
