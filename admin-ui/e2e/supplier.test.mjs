// A supplier bids through the form (ceiling and unit comparable price shown as it types, an
// above-ceiling price refused before sending) and verifies its receipt's signature in the
// browser; a hospital reports its demand.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, PASSWORD, api, choose, horizontalOverflow, launch, login, newPage, roundIn } from './lib.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const ELIGIBLE = ['originator', 'reference', 'passed'];

/** A lot of the round and one of the supplier's own products it may offer there (with a ceiling). */
async function lotAndProduct(page, roundId) {
  const me = await api(page, '/api/v1/me');
  const lots = (await api(page, `/api/v1/rounds/${roundId}/lots?per_page=200`)).items;
  for (const lot of lots) {
    const q = new URLSearchParams({ generic_name: lot.generic_name, kind: 'drug', per_page: '200' });
    const items = (await api(page, `/api/v1/catalog/items?${q}`)).items;
    const mine = items.find(
      (i) => i.manufacturer_org_id === me.org_id && ELIGIBLE.includes(i.consistency) && i.dosage_form === lot.dosage_form && i.ceiling,
    );
    if (mine) return { lot, item: mine };
  }
  throw new Error('supplier@ has no product to offer in the round open for bids');
}

/** supplier@ on the bid page of the round open for bids, a lot and its product chosen. */
async function openBidForm(page) {
  await login(page, 'supplier@vbp.demo');
  const round = await roundIn(page, 'bidding_open');
  const { lot, item } = await lotAndProduct(page, round.id);
  const before = new Set((await api(page, `/api/v1/rounds/${round.id}/bids?per_page=200`)).items.map((r) => r.bid_id));
  await page.goto(`${BASE}/rounds/${round.id}/bid`);
  await choose(page, 'bid-lot', lot.generic_name);
  await choose(page, 'bid-product', item.code);
  return { round, lot, item, before };
}

/** The receipt of a bid sent since `before` on the lot (polled: the list follows the submission). */
async function newReceipt(page, round, lot, before) {
  for (let i = 0; i < 40; i++) {
    const mine = (await api(page, `/api/v1/rounds/${round.id}/bids?per_page=200`)).items;
    const receipt = mine.find((r) => !before.has(r.bid_id) && r.lot_id === lot.id);
    if (receipt) return receipt;
    await page.waitForTimeout(250);
  }
  return undefined;
}

/** `ceiling * f`, four places (prices in the demo are small: floats are exact enough here). */
const times = (ceiling, f) => (Math.floor(Number(ceiling) * f * 10000) / 10000).toFixed(4);

test('a supplier bids through the form and verifies the receipt', async () => {
  const page = await newPage(browser);
  const { round, lot, item, before } = await openBidForm(page);

  // above the ceiling first: refused inline, submit disabled
  await page.getByTestId('bid-price').fill((Number(item.ceiling.price) + 1).toFixed(4));
  await page.getByTestId('bid-above-ceiling').waitFor();
  assert.ok(await page.getByTestId('bid-submit').isDisabled(), 'submit enabled above the ceiling');
  const ceilingText = await page.getByTestId('bid-ceiling').innerText();
  assert.ok(ceilingText.includes(item.ceiling.price), `ceiling shown "${ceilingText}", expected ${item.ceiling.price}`);

  // below it: the ceiling and the UCP show, the refusal goes
  await page.getByTestId('bid-price').fill(times(item.ceiling.price, 0.5));
  await page.getByTestId('bid-above-ceiling').waitFor({ state: 'detached' });
  assert.match(await page.getByTestId('bid-ucp').innerText(), /\d+\.\d{4}/);
  assert.ok(!(await page.getByTestId('bid-submit').isDisabled()));
  await page.getByTestId('bid-capacity').fill('6000000');
  assert.equal(await horizontalOverflow(page), 0, 'the bid page scrolls sideways');
  await page.getByTestId('bid-submit').click();

  // the new receipt, verified in the browser
  const receipt = await newReceipt(page, round, lot, before);
  assert.ok(receipt, 'no new receipt after submitting');
  assert.equal(receipt.status, 'live');
  await page.getByTestId(`verify-${receipt.bid_id}`).click();
  const result = page.getByTestId(`verify-result-${receipt.bid_id}`);
  await result.waitFor();
  assert.equal(await result.getAttribute('data-verified'), 'true');
  assert.match(await result.innerText(), /有效|valid/i);
  await page.context().close();
});

test("a hospital's demand form saves", async () => {
  const page = await newPage(browser);
  await login(page, 'hospital@vbp.demo');
  const round = await roundIn(page, 'demand_collection');
  const lots = (await api(page, `/api/v1/rounds/${round.id}/lots?per_page=200`)).items;
  await page.goto(`${BASE}/rounds/${round.id}/demand`);
  const want = {};
  for (const l of lots) {
    want[l.id] = 10_000 + l.number * 1_111 + Math.floor(Math.random() * 100);
    await page.getByTestId(`demand-qty-${l.number}`).fill(String(want[l.id]));
  }
  assert.equal(await horizontalOverflow(page), 0, 'the demand page scrolls sideways');
  await page.getByTestId('demand-save').click();
  await page.getByText('需求已保存').first().waitFor();
  const me = await api(page, '/api/v1/me');
  const rows = await api(page, `/api/v1/rounds/${round.id}/hospital-demand`);
  for (const l of lots) {
    const row = rows.find((r) => r.lot_id === l.id && r.hospital_org_id === me.org_id);
    assert.equal(row?.annual_quantity, want[l.id], `lot ${l.number}`);
  }
  await page.context().close();
});

test('an expired session asks for the password over the form and keeps what was typed', async () => {
  const page = await newPage(browser);
  const { round, lot, item, before } = await openBidForm(page);
  const price = times(item.ceiling.price, 0.45);
  await page.getByTestId('bid-price').fill(price);
  await page.getByTestId('bid-capacity').fill('4321000');
  // the server ends the session (as at its expiry, or a sign-out elsewhere); the page keeps its token
  await page.evaluate(() =>
    fetch('/api/v1/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${sessionStorage.getItem('vbp.token')}` } }),
  );
  await page.getByTestId('bid-submit').click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  assert.ok(!page.url().includes('/login'), 'sent away to the login page');
  await dialog.locator('input[type=password]').fill(PASSWORD);
  await dialog.locator('button[type=submit]').click();
  await dialog.waitFor({ state: 'detached' });
  // what was typed is still there, and sending it again works
  assert.equal(await page.getByTestId('bid-price').inputValue(), price);
  assert.equal(await page.getByTestId('bid-capacity').inputValue(), '4321000');
  await page.getByTestId('bid-submit').click();
  const found = await newReceipt(page, round, lot, before);
  assert.ok(found, 'the bid was not sent after signing in again');
  assert.equal(found.status, 'live');
  await page.context().close();
});
