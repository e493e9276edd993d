// Settlement and oversight: an insurer settles accepted deliveries into a batch; the auditor
// verifies the audit log's hash chain.
//
// The demo (api/src/demo) settles every accepted line of Beijing (a paid batch and an open
// one), so Beijing's insurer usually finds nothing to settle; Shanghai's accepted lines are
// left unsettled. So that the Shanghai test holds on any run (a run settles them all), it
// first makes sure one accepted, unsettled line exists there, through the API: a Shanghai
// hospital orders, the supplier confirms and ships, the hospital accepts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, PASSWORD, api, launch, login, newPage } from './lib.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

/** A token for a demo user, straight from the API. */
async function token(email) {
  const r = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  if (!r.ok) throw new Error(`login ${email}: ${r.status} ${await r.text()}`);
  return (await r.json()).access_token;
}

async function call(tok, method, path, body) {
  const r = await fetch(`${BASE}${path}`, {
    method,
    headers: { Authorization: `Bearer ${tok}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

const chinaMonth = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);

/** Whether Shanghai has an accepted line not settled yet (this month's hospital statements). */
async function shanghaiHasUnsettled(insurer, hospitalOrgs) {
  for (const org of hospitalOrgs) {
    const st = await call(insurer, 'GET', `/api/v1/settlements/statements/hospitals/${org}/${chinaMonth()}`);
    if (st.lines.some((l) => l.state === 'unsettled')) return true;
  }
  return false;
}

/** One accepted delivery line in Shanghai: hospital2@ orders, its supplier confirms and ships, hospital2@ accepts. */
async function acceptOneShanghaiLine() {
  const hospital = await token('hospital2@vbp.demo');
  const suppliers = {};
  for (const email of ['supplier@vbp.demo', 'supplier2@vbp.demo']) {
    const tok = await token(email);
    const me = await call(tok, 'GET', '/api/v1/me');
    suppliers[me.org_id] = tok;
  }
  const contracts = await call(hospital, 'GET', '/api/v1/contracts?province=310000&status=active&per_page=200');
  const contract = contracts.items.find((c) => suppliers[c.supplier_org_id]);
  assert.ok(contract, 'no active Shanghai contract of supplier@ or supplier2@ in the demo');
  const seller = suppliers[contract.supplier_org_id];
  const order = await call(hospital, 'POST', '/api/v1/orders', { lines: [{ contract_id: contract.id, quantity: 100 }] });
  await call(seller, 'POST', `/api/v1/orders/${order.id}/confirm`);
  const line = order.lines[0];
  const stamp = Date.now().toString(36).toUpperCase();
  const expiry = new Date(Date.now() + 700 * 86_400_000).toISOString().slice(0, 10);
  const delivery = await call(seller, 'POST', `/api/v1/orders/${order.id}/deliveries`, {
    batch_no: `E2E${stamp}`,
    expiry_date: expiry,
    invoice_no: `E2E-FP-${stamp}`,
    lines: [{ order_line_id: line.id, quantity: line.quantity }],
  });
  await call(hospital, 'POST', `/api/v1/deliveries/${delivery.id}/acceptance`, {
    lines: [{ delivery_line_id: delivery.lines[0].id, accepted: delivery.lines[0].quantity }],
  });
}

/** `"12345.6"` as the UI shows money: `"12,345.60"`. */
function money(v) {
  const [i, f = ''] = v.split('.');
  let frac = f.replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${i.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
}

async function openCreateAndSubmit(page) {
  await page.goto(`${BASE}/settlement/batches`);
  await page.getByTestId('batch-create').click();
  await page.getByTestId('batch-submit').click();
  const result = page.getByTestId('batch-result');
  const empty = page.getByTestId('batch-empty');
  await result.or(empty).first().waitFor();
  return { result, empty };
}

test('an insurer creates a settlement batch (Beijing: a batch, or nothing to settle said plainly)', async () => {
  const page = await newPage(browser);
  await login(page, 'insurer@vbp.demo');
  const { result, empty } = await openCreateAndSubmit(page);
  if (await empty.isVisible()) {
    // every accepted Beijing line is settled or disputed (the demo's state): explained, no batch
    assert.match(await empty.innerText(), /没有可结算的明细/);
    assert.match(await empty.innerText(), /争议/);
  } else {
    const id = await result.getAttribute('data-batch-id');
    const batch = await api(page, `/api/v1/settlements/batches/${id}`);
    assert.ok(batch.line_count > 0);
    assert.match(await result.innerText(), new RegExp(money(batch.total).replace(/[.,]/g, '\\$&')));
    await page.getByTestId(`batch-row-${id}`).waitFor();
  }
  await page.context().close();
});

test("Shanghai's insurer settles its accepted lines: a batch with lines, in the list", async () => {
  const insurer = await token('insurer2@vbp.demo');
  const orgs = [];
  for (const email of ['hospital2@vbp.demo', 'hospital5@vbp.demo']) orgs.push((await call(await token(email), 'GET', '/api/v1/me')).org_id);
  if (!(await shanghaiHasUnsettled(insurer, orgs))) await acceptOneShanghaiLine();

  const page = await newPage(browser);
  await login(page, 'insurer2@vbp.demo');
  const before = await api(page, '/api/v1/settlements/batches?per_page=1');
  const { result, empty } = await openCreateAndSubmit(page);
  assert.equal(await empty.count(), 0, 'Shanghai had accepted lines, yet the batch came back empty');
  const id = await result.getAttribute('data-batch-id');
  assert.ok(id, 'the result names no batch');
  const batch = await api(page, `/api/v1/settlements/batches/${id}`);
  assert.equal(batch.province, '310000');
  assert.ok(batch.line_count > 0, 'the batch has no line');
  assert.ok(batch.payment_orders.length > 0, 'the batch has no payment order');
  const text = await result.innerText();
  assert.match(text, new RegExp(`${batch.line_count} 条明细`));
  assert.ok(text.includes(money(batch.total)), `the result does not show the total ${money(batch.total)}: ${text}`);
  // the list is reloaded: the new batch is there, with its total
  await page.getByTestId(`batch-row-${id}`).waitFor();
  assert.equal((await page.getByTestId(`batch-total-${id}`).innerText()).trim(), money(batch.total));
  const afterList = await api(page, '/api/v1/settlements/batches?per_page=1');
  assert.equal(afterList.total, before.total + 1);
  await page.context().close();
});

test("the auditor's chain verification shows the chain intact", async () => {
  const page = await newPage(browser);
  await login(page, 'auditor@vbp.demo');
  await page.goto(`${BASE}/audit`);
  await page.getByTestId('audit-verify').click();
  const result = page.getByTestId('audit-verify-result');
  await result.waitFor();
  assert.equal(await result.getAttribute('data-intact'), 'true');
  assert.match(await result.innerText(), /审计链完整/);
  assert.equal(await page.getByTestId('audit-first-break').count(), 0);
  await page.context().close();
});
