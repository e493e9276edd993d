// Everyone: sign in, the role's own menu, the language switch, a page of another role.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, login, newPage, roundIn } from './lib.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

test('switching to English changes the texts, and back', async () => {
  const page = await newPage(browser);
  await login(page, 'hospital@vbp.demo');
  await page.getByRole('link', { name: '订单' }).first().waitFor();
  await page.getByTestId('lang-switch').click();
  await page.getByRole('link', { name: 'Orders' }).first().waitFor();
  assert.equal(await page.getByRole('link', { name: '订单' }).count(), 0, 'Chinese menu texts left after switching');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  await page.reload();
  await page.getByRole('link', { name: 'Orders' }).first().waitFor();
  await page.getByTestId('lang-switch').click();
  await page.getByRole('link', { name: '订单' }).first().waitFor();
  await page.context().close();
});

test("a supplier cannot reach an officer's page by its URL", async () => {
  const page = await newPage(browser);
  await login(page, 'supplier@vbp.demo');
  assert.equal(await page.getByRole('link', { name: '新建批次' }).count(), 0);
  await page.goto(`${BASE}/rounds/new`);
  await page.getByTestId('forbidden').waitFor();
  await page.goto(`${BASE}/audit`);
  await page.getByTestId('forbidden').waitFor();
  assert.equal(await page.getByRole('link', { name: '审计日志' }).count(), 0, 'the audit log is in the menu of a supplier');
  await page.context().close();
});

test('a wrong password is refused in the user’s language', async () => {
  const page = await newPage(browser, { lang: 'en' });
  await page.goto(`${BASE}/login`);
  await page.locator('#email').fill('nobody@vbp.demo');
  await page.locator('#password').fill('not-the-password-at-all');
  await page.locator('button[type=submit]').click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /[A-Za-z]/);
  await page.context().close();
});

test("the supplier's bid page loads neither the officer's screens nor the charts", async () => {
  const page = await newPage(browser);
  await login(page, 'supplier@vbp.demo');
  const round = await roundIn(page, 'bidding_open');
  const scripts = [];
  page.on('request', (r) => r.resourceType() === 'script' && scripts.push(new URL(r.url()).pathname));
  await page.goto(`${BASE}/rounds/${round.id}/bid`);
  await page.getByTestId('bid-submit').waitFor();
  assert.ok(scripts.some((s) => /Bid/.test(s)), `the bid page's own chunk was not loaded: ${scripts}`);
  const foreign = scripts.filter((s) => /charts|echarts|RoundManage|RoundBuilder|Results|Catalog/.test(s));
  assert.deepEqual(foreign, [], 'chunks of other screens loaded for the bid page');
  await page.context().close();
});

