// After the award: a Beijing hospital orders against its province's contracts and accepts
// a delivery awaiting acceptance (the demo leaves some shipped, not yet accepted).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, api, horizontalOverflow, launch, login, newPage } from './lib.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

test('a hospital orders and accepts', async () => {
  const page = await newPage(browser);
  await login(page, 'hospital@vbp.demo');
  const me = await api(page, '/api/v1/me');

  // --- the order, through /orders/new
  const contracts = await api(page, '/api/v1/contracts?status=active&per_page=200');
  const active = contracts.items.filter((c) => c.province === me.province);
  assert.ok(active.length > 0, 'the demo has active contracts in Beijing');
  const before = await api(page, '/api/v1/orders?per_page=1');

  await page.goto(`${BASE}/orders`);
  await page.getByTestId('order-new').click();
  await page.waitForURL(/\/orders\/new$/);
  await page.getByTestId('order-contract-0').click();
  // the first contract offered (the list is the province's active contracts, in the API's order)
  const option = page.locator('.ant-select-dropdown:visible .ant-select-item-option').first();
  await option.waitFor();
  const picked = await option.getAttribute('title');
  await option.click();
  await page.getByTestId('order-qty-0').fill('12');
  await page.getByTestId('order-submit').click();

  await page.waitForURL(/\/orders$/);
  await page.getByTestId('order-created').waitFor();
  const latest = await api(page, '/api/v1/orders?per_page=1');
  const order = latest.items[0];
  assert.notEqual(order.id, before.items[0]?.id, 'a new order was created');
  assert.equal(order.status, 'submitted');
  assert.equal(order.hospital_org_id, me.org_id);
  assert.equal(order.lines.length, 1);
  assert.equal(order.lines[0].quantity, 12);
  const contract = active.find((c) => c.id === order.lines[0].contract_id);
  assert.ok(contract, 'the order is on an active contract of the province');
  assert.ok(picked?.includes(contract.generic_name), `the contract picked (${picked}) is the order's`);
  // listed, marked new, awaiting the supplier
  const row = page.locator(`tr[data-row-key="${order.id}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /待确认/);
  assert.ok(await row.getByTestId(`order-withdraw-${order.id}`).isVisible(), 'an undecided order can be withdrawn');
  assert.equal(await horizontalOverflow(page), 0);

  // --- the acceptance, through /deliveries
  const shipped = await api(page, '/api/v1/deliveries?status=shipped&per_page=50');
  const delivery = shipped.items.find((d) => d.hospital_org_id === me.org_id);
  assert.ok(delivery, 'the demo leaves a delivery awaiting acceptance');
  await page.goto(`${BASE}/deliveries?order_id=${delivery.order_id}`);
  await page.getByTestId(`accept-${delivery.id}`).click();
  const qty = page.getByTestId('accept-qty-0');
  await qty.waitFor();
  assert.equal(await qty.inputValue(), String(delivery.lines[0].quantity), 'prefilled with what was shipped');
  // accept 3 units fewer: the reason is then required
  const accepted = delivery.lines[0].quantity - 3;
  await qty.fill(String(accepted));
  await page.getByTestId('accept-submit').click();
  await page.getByText('验收数量少于发货数量时须填写原因').waitFor();
  await page.getByTestId('accept-reason-0').fill('3 盒外包装破损');
  await page.getByTestId('accept-submit').click();

  const result = page.getByTestId('accept-result');
  await result.waitFor();
  const after = await api(page, `/api/v1/deliveries/${delivery.id}`);
  assert.equal(after.status, 'accepted');
  assert.equal(after.lines[0].accepted, accepted);
  assert.equal(after.lines[0].refusal_reason, '3 盒外包装破损');
  assert.ok(after.accepted_on && after.due_date, 'acceptance sets the acceptance date and the due date');
  assert.ok((await result.innerText()).includes(after.due_date), 'the due date is shown');
  const drow = page.locator(`tr[data-row-key="${delivery.id}"]`);
  await drow.getByText('已验收').waitFor();
  assert.ok((await drow.innerText()).includes(after.accepted_on));
  assert.equal(await page.getByTestId(`accept-${delivery.id}`).count(), 0, 'an accepted delivery offers no second acceptance');
  await page.context().close();
});
