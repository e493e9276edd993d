// The procurement office's tendering screens: the catalog, a round's live bid count and
// countdown, the opening by two custodians' shares, the evaluation, the award and the
// published results. The opening test consumes the demo's closed round (/tmp/reset-demo.sh
// makes a fresh demo); without one it is skipped, saying so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, api, horizontalOverflow, launch, login, newPage, roundIn } from './lib.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const status = (page, s) => page.locator(`[data-testid=round-status][data-status=${s}]`);

/** "6d 23:39:05" → seconds. */
function seconds(text) {
  const m = /(\d+)d (\d{2}):(\d{2}):(\d{2})/.exec(text);
  assert.ok(m, `no countdown in ${JSON.stringify(text)}`);
  return Number(m[1]) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

test('the catalog finds items by name, shows the ceiling history, and reports a bad import by line', async () => {
  const page = await newPage(browser, { width: 1024, height: 768 });
  await login(page, 'officer@vbp.demo');
  await page.goto(`${BASE}/catalog`);
  await page.getByTestId('catalog-import').waitFor();
  await page.locator('#q').fill('他汀');
  await page.getByRole('button', { name: /查\s*询/ }).click();
  const found = await api(page, `/api/v1/catalog/items?q=${encodeURIComponent('他汀')}&per_page=20`);
  assert.ok(found.total > 0, 'the demo catalog has statins');
  const first = found.items[0];
  await page.getByTestId(`item-${first.code}`).waitFor();
  assert.equal(await horizontalOverflow(page), 0);
  await page.getByTestId(`item-${first.code}`).click();
  const drawer = page.getByTestId('catalog-drawer');
  await drawer.getByText(first.code).first().waitFor();
  const history = await api(page, `/api/v1/catalog/items/${first.code}`);
  await drawer.getByTestId('ceiling-history').locator('tbody tr.ant-table-row').first().waitFor();
  assert.equal(await drawer.getByTestId('ceiling-history').locator('tbody tr.ant-table-row').count(), history.ceiling_history.length);
  await page.keyboard.press('Escape');

  // a file with errors: nothing is written, each error is listed by line and column
  await page.getByTestId('catalog-import').click();
  const csv = 'kind,code,generic_name,pack_count,min_unit,manufacturer\ndrug,XBAD,阿司匹林肠溶片,10,片,Foo\n';
  await page.locator('input[type=file]').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  const errors = page.getByTestId('import-errors');
  await errors.waitFor();
  assert.match(await errors.innerText(), /\b2\b[\s\S]*code/);
  await page.context().close();
});

test('an officer builds a round from the catalog, publishes it, and cancels it with a reason', async () => {
  const page = await newPage(browser, { width: 1024, height: 768 });
  await login(page, 'officer@vbp.demo');
  await page.goto(`${BASE}/rounds/new`);
  const name = `E2E 测试批次 ${Date.now()}`;
  await page.getByTestId('round-name').fill(name);
  await page.getByTestId('round-create').click();
  // a lot from the catalog, by its generic name
  await page.getByTestId('lot-picker').locator('input').fill('阿托伐');
  const option = page.locator('.ant-select-item-option').first();
  await option.waitFor();
  await option.click();
  await page.getByTestId('lot-add').click();
  await page.getByTestId('lots').locator('tbody tr.ant-table-row').first().waitFor();
  await page.getByTestId('step-next').click();
  await page.getByTestId('start-demand').click();
  await page.getByTestId('publish').click();
  await page.getByTestId('publish-confirm').click();
  await page.waitForURL(/\/rounds\/[0-9a-f-]+\/manage$/);
  await status(page, 'bidding_open').waitFor();
  await page.getByTestId('countdown').waitFor();
  const id = /\/rounds\/([0-9a-f-]+)\/manage$/.exec(page.url())[1];
  const round = await api(page, `/api/v1/rounds/${id}`);
  assert.equal(round.name, name);
  assert.ok(round.public_key, 'published with its key');
  // not a real tender: cancelled, with the reason published
  await page.getByTestId('cancel-round').click();
  await page.getByTestId('cancel-reason').fill('浏览器测试创建的批次，并非真实采购。');
  await page.getByTestId('cancel-submit').click();
  await status(page, 'cancelled').waitFor();
  assert.equal((await api(page, `/api/v1/rounds/${id}`)).cancel_reason, '浏览器测试创建的批次，并非真实采购。');
  await page.context().close();
});

test('officers watch the live bid count and the countdown of a round open for bids', async () => {
  const page = await newPage(browser);
  await login(page, 'officer@vbp.demo');
  const round = await roundIn(page, 'bidding_open');
  await page.goto(`${BASE}/rounds/${round.id}/manage`);
  await status(page, 'bidding_open').waitFor();
  const total = page.getByTestId('bid-total');
  await total.waitFor();
  const counts = await api(page, `/api/v1/rounds/${round.id}/bid-counts`);
  assert.equal(Number(await total.getAttribute('data-total')), counts.total);
  assert.equal(await page.getByTestId('lot-bids').count(), counts.lots.length);
  // counts, never prices: the table has the lot, its name and the number of bids only
  assert.equal(await page.getByTestId('bid-counts').locator('thead th').count(), 3);

  // the countdown runs on the server's clock, and ticks
  const countdown = page.getByTestId('countdown');
  await countdown.waitFor();
  const shown = seconds(await countdown.innerText());
  const expected = (Date.parse(counts.bidding_deadline) - Date.parse(counts.as_of)) / 1000;
  assert.ok(Math.abs(shown - expected) < 30, `countdown ${shown} s, the server says ${expected} s`);
  const before = await countdown.innerText();
  await page.waitForFunction((b) => document.querySelector('[data-testid=countdown]')?.innerText !== b, before);
  await page.context().close();
});

test('two officers open a round with their shares and award it', async (t) => {
  const a = await newPage(browser);
  await login(a, 'officer@vbp.demo');
  const closed = await api(a, '/api/v1/rounds?status=closed&per_page=50');
  const round = closed.items.find((r) => r.name.includes('演示')) ?? closed.items[0];
  if (!round) {
    t.skip('no closed round left: the opening consumed it (run /tmp/reset-demo.sh for a fresh demo)');
    await a.context().close();
    return;
  }
  await a.goto(`${BASE}/rounds/${round.id}/manage`);
  await status(a, 'closed').waitFor();
  // the share is fetched on request only, once, and shown to be kept
  await a.getByTestId('share-fetch').click();
  const shareA = a.getByTestId('share-value');
  await shareA.waitFor();
  const valueA = await shareA.inputValue();
  assert.ok(valueA.trim().length > 16, 'a share is shown');
  assert.equal(await a.getByTestId('share-input').inputValue(), valueA, 'the share is filled in to present');
  assert.ok(await a.getByTestId('share-fetch').isDisabled(), 'a share cannot be fetched twice');
  await a.getByTestId('share-submit').click();
  await a.getByTestId('quorum-progress').filter({ hasText: `1 / ${round.quorum}` }).waitFor();
  await status(a, 'closed').waitFor();

  // the second custodian, in a browser of their own
  const b = await newPage(browser);
  await login(b, 'officer2@vbp.demo');
  await b.goto(`${BASE}/rounds/${round.id}/manage`);
  await b.getByTestId('share-fetch').click();
  await b.getByTestId('share-value').waitFor();
  await b.getByTestId('share-submit').click();
  await status(b, 'opened').waitFor();
  // the first officer's page follows the round
  await status(a, 'opened').waitFor();
  await a.context().close();

  await b.getByTestId('evaluate').click();
  await status(b, 'evaluated').waitFor();
  const digest = b.getByTestId('evaluation-digest');
  await digest.waitFor();
  const shownDigest = (await digest.innerText()).trim();
  const evaluation = await api(b, `/api/v1/rounds/${round.id}/evaluation`);
  assert.equal(shownDigest, evaluation.digest, 'the digest shown is the evaluation under review');
  for (const lot of evaluation.evaluation.lots) await b.getByTestId(`evaluation-bids-${lot.number}`).waitFor();

  await b.getByTestId('award').click();
  await b.getByTestId('award-confirm').click();
  await status(b, 'awarded').waitFor();
  await b.getByTestId('results-link').click();
  await b.getByTestId('results-summary').waitFor();
  const results = await api(b, `/api/v1/rounds/${round.id}/results`);
  const winners = results.lots.flatMap((l) => l.winners.map((w) => w.supplier_name));
  assert.ok(winners.length > 0, 'the demo round has winners');
  const names = b.getByTestId('winner-name');
  await names.first().waitFor();
  assert.equal(await names.count(), winners.length);
  assert.deepEqual((await names.allInnerTexts()).sort(), [...winners].sort());
  assert.equal(await horizontalOverflow(b), 0);
  await b.context().close();
});
