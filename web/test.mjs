// The demo page in headless Chromium: every sample of every model, fed through the page's file
// input, must get `zoo classify`'s answer (same classes in the same order, probabilities within
// 1e-4); a corrupt PNG must show an error and leave the page working; a drawing is classified.
// Prints the load and inference times, and saves a screenshot.
//
//   node web/test.mjs SITE_DIR SCREENSHOT.png    (SITE_DIR as scripts/web.sh builds it, with
//                                                 expected/<model>.jsonl from `zoo classify`)
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { join, extname, basename, normalize, resolve } from 'node:path';
import puppeteer from 'puppeteer-core';

const [siteArg, screenshot] = process.argv.slice(2);
const site = siteArg && resolve(siteArg);
if (!site || !screenshot) {
  console.error('usage: node web/test.mjs SITE_DIR SCREENSHOT.png');
  process.exit(2);
}
const TOLERANCE = 1e-4;
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png' };

const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
  const file = join(site, path.endsWith('/') ? `${path}index.html` : path);
  if (!file.startsWith(site) || !existsSync(file)) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${server.address().port}/`;

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
let failures = 0;
const fail = (msg) => { failures++; console.error(`FAIL ${msg}`); };
const timings = {};
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 1000 });
  page.on('pageerror', (e) => fail(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && console.error(`page console: ${m.text()}`));
  const navigated = Date.now();
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready === 'true' ||
    !document.querySelector('#error').hidden, { timeout: 120_000 });
  const startError = await page.$eval('#error', (e) => (e.hidden ? null : e.textContent));
  if (startError) throw new Error(`the page did not start: ${startError}`);
  timings.pageToReadyMs = Date.now() - navigated;
  timings.moduleAndModelMs = Number(await page.$eval('body', (b) => b.dataset.loadMs));
  const manifest = JSON.parse(readFileSync(join(site, 'manifest.json'), 'utf8'));
  const input = await page.$('#file');

  // Uploads `file` through the page's file input and returns the state the page shows.
  const classify = async (file) => {
    const seq = await page.$eval('#results', (r) => Number(r.dataset.seq));
    await input.uploadFile(file);
    await page.waitForFunction((s) => Number(document.querySelector('#results').dataset.seq) > s,
      { timeout: 60_000 }, seq);
    return page.evaluate(() => ({
      state: document.querySelector('#results').dataset.state,
      json: document.querySelector('#results').dataset.json,
      ms: Number(document.querySelector('#timing').dataset.ms),
      error: document.querySelector('#error').hidden ? null : document.querySelector('#error').textContent,
      maps: document.querySelectorAll('#maps canvas').length,
    }));
  };

  for (const [index, model] of manifest.models.entries()) {
    await page.select('#model', String(index));
    await page.waitForSelector(`body[data-model="${model.name}"]`, { timeout: 60_000 });
    const expected = new Map(readFileSync(join(site, 'expected', `${model.name}.jsonl`), 'utf8')
      .trim().split('\n').map((l) => JSON.parse(l)).map((r) => [basename(r.image), r.predictions]));
    const times = [];
    let worst = 0;
    for (const sample of model.samples) {
      const name = basename(sample);
      const got = await classify(join(site, sample));
      times.push(got.ms);
      if (got.state !== 'done') { fail(`${model.name} ${name}: ${got.error}`); continue; }
      const want = expected.get(name);
      const ranked = JSON.parse(got.json);
      if (!want || ranked.length !== want.length) { fail(`${model.name} ${name}: ${got.json}`); continue; }
      ranked.forEach((p, k) => {
        const w = want[k];
        worst = Math.max(worst, Math.abs(p.probability - w.probability));
        if (p.index !== w.index || p.label !== w.class || Math.abs(p.probability - w.probability) > TOLERANCE) {
          fail(`${model.name} ${name} rank ${k}: page ${p.label} ${p.probability}, zoo classify ${w.class} ${w.probability}`);
        }
      });
      if (got.maps === 0) fail(`${model.name} ${name}: no activation maps drawn`);
    }
    const sorted = [...times].sort((a, b) => a - b);
    timings[model.name] = { images: times.length, firstInferenceMs: times[0],
      medianInferenceMs: sorted[Math.floor(sorted.length / 2)], maxProbabilityDifference: worst };
    console.log(`${model.name}: ${times.length} images as zoo classify (max |Δp| ${worst.toExponential(2)})`);
  }

  // A corrupt file: an error message naming it, and the page still classifies afterwards.
  await page.select('#model', '0');
  await page.waitForSelector(`body[data-model="${manifest.models[0].name}"]`);
  const corrupt = await classify(join(site, manifest.corrupt));
  if (corrupt.state !== 'error' || !/corrupt\.png: cannot decode/.test(corrupt.error ?? '')) {
    fail(`corrupt image: state ${corrupt.state}, message ${corrupt.error}`);
  } else {
    console.log(`corrupt image: "${corrupt.error}"`);
  }
  const after = await classify(join(site, manifest.models[0].samples[0]));
  if (after.state !== 'done') fail(`after the corrupt image: ${after.error}`);

  // A drawing: strokes on the canvas, then "Classify drawing".
  const box = await (await page.$('#draw')).boundingBox();
  await page.mouse.move(box.x + 90, box.y + 60);
  await page.mouse.down();
  for (const [x, y] of [[190, 60], [190, 220], [90, 220], [90, 60]]) {
    await page.mouse.move(box.x + x, box.y + y, { steps: 8 });
  }
  await page.mouse.up();
  const seq = await page.$eval('#results', (r) => Number(r.dataset.seq));
  await page.click('#classify-drawing');
  await page.waitForFunction((s) => Number(document.querySelector('#results').dataset.seq) > s, {}, seq);
  const drawn = await page.$eval('#results', (r) => r.dataset.state);
  if (drawn !== 'done') fail('the drawing was not classified');

  // The screenshot for the README: the CIFAR-10 ResNet-20 on a test image, when it is there.
  const last = manifest.models.length - 1;
  await page.select('#model', String(last));
  await page.waitForSelector(`body[data-model="${manifest.models[last].name}"]`);
  await classify(join(site, manifest.models[last].samples[0]));
  await page.select('#stage', '0');
  await page.screenshot({ path: screenshot, fullPage: true });
} finally {
  await browser.close();
  server.close();
}
console.log(JSON.stringify({ timings }, null, 1));
if (failures) {
  console.error(`${failures} check(s) failed`);
  process.exit(1);
}
console.log('browser test passed');
