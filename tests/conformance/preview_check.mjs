// Opens a `sitectl preview --format html` page in headless Chromium (the
// system's /usr/bin/chromium, driven by playwright-core: no downloaded
// browser) and checks what a customer would see.
//
//   node preview_check.mjs PAGE.html SCREENSHOT.png EXPECTED_PRICE
//
// (A comparison page, `--compare`, has no single price: its table of
// options must be visible at the top instead, and its PDF must name them.)
//
// Fails when the page makes any request other than the file itself, when
// the diagram or the summary is not visible at the top of the page, when
// the diagram does not name the app tier and the data tier, or when spec
// text ran as script. Then, at 1440, 1280, 1024 and 760 pixels and in
// print: fails when the page scrolls sideways, when any element's content
// is wider than the element (text clipped, a table wider than its card) or
// a diagram label is cut. Saves a full-page screenshot at each width, and
// prints the page to SCREENSHOT.pdf with the names of its resources in
// SCREENSHOT.resources.txt (the caller checks the PDF's text has them).
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
  // A comparison (`--compare`) is one table of options; a preview, cards,
  // a diagram and its responsibilities.
  const isComparison = (await page.locator('#compare').count()) > 0;
  if (isComparison) {
    await visibleAtTop('#compare', 'the comparison');
    const columns = await page.locator('#compare thead th[scope=col]').count();
    if (columns < 2) failures.push(`the comparison has ${columns} options, not 2 or more`);
  } else {
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
  }
  const scripts = await page.locator('script').count();
  if (scripts > 0) failures.push(`the page holds ${scripts} <script> element(s)`);
  if (await page.evaluate(() => 'pwned' in window)) failures.push('spec text ran as script');
  if (requests.length > 0) failures.push(`the page made network requests: ${requests.join(', ')}`);

  fs.mkdirSync(path.dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${screenshot}`);

  // Nothing wider than its box, at every width and in print.
  const layout = (where) => page.evaluate((where) => {
    const found = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth + 1) {
      found.push(`${where}: the page scrolls sideways (${doc.scrollWidth} > ${doc.clientWidth} px)`);
    }
    for (const el of document.querySelectorAll('main *')) {
      // Collapsed files and code blocks scroll inside their own box by design.
      if (el.closest('details:not([open])') || el.closest('pre') || el.closest('svg')) continue;
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.display === 'inline') continue;
      if (['auto', 'scroll'].includes(style.overflowX)) continue;
      if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
        const what = `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className ? '.' + el.className : ''}`;
        found.push(`${where}: ${what} holds content ${el.scrollWidth - el.clientWidth} px wider than itself: "${el.textContent.trim().slice(0, 60)}"`);
      }
    }
    const svg = document.querySelector('svg#diagram');
    if (svg) {
      const view = svg.viewBox.baseVal;
      for (const text of svg.querySelectorAll('text')) {
        if (text.textContent.includes('…')) found.push(`${where}: a diagram label is cut: "${text.textContent}"`);
        const box = text.getBBox();
        if (box.x < view.x || box.x + box.width > view.x + view.width || box.y + box.height > view.y + view.height) {
          found.push(`${where}: the diagram label "${text.textContent}" lies outside the picture`);
        }
      }
      // Each label inside the box (rect) of its group.
      for (const group of svg.querySelectorAll('g')) {
        const rect = group.querySelector('rect');
        if (!rect) continue;
        const r = rect.getBBox();
        for (const text of group.querySelectorAll('text')) {
          const t = text.getBBox();
          if (t.x < r.x - 0.5 || t.x + t.width > r.x + r.width + 0.5) {
            found.push(`${where}: the diagram label "${text.textContent}" spills out of its box`);
          }
        }
      }
    }
    return found;
  }, where);
  const stem = screenshot.replace(/\.png$/, '');
  for (const width of [1440, 1280, 1024, 760]) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(50);
    failures.push(...await layout(`${width} px`));
    await page.screenshot({ path: `${stem}-${width}.png`, fullPage: true });
  }
  await page.emulateMedia({ media: 'print' });
  // An A4 page's printable width at 96 dpi, less the default margins.
  await page.setViewportSize({ width: 718, height: 1000 });
  await page.waitForTimeout(50);
  failures.push(...await layout('print'));
  await page.pdf({ path: `${stem}.pdf`, format: 'A4', printBackground: true });
  const names = await page
    .locator(isComparison ? '#compare thead th[scope=col]' : '#resources tbody td:nth-child(2)')
    .allInnerTexts();
  fs.writeFileSync(`${stem}.resources.txt`, names.map((n) => n.trim()).join('\n') + '\n');
  console.log(`pdf: ${stem}.pdf (${names.length} resources)`);
} finally {
  await browser.close();
}
if (failures.length > 0) {
  for (const failure of failures) console.error(`FAIL: ${failure}`);
  process.exit(1);
}
console.log(`ok: ${pagePath}`);
