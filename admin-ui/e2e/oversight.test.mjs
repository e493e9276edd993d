// Oversight (#18): the shortage warnings (chart by province, a Beijing generic at warning or
// alarm, its drawer with the contracts and backups), price monitoring of a generic with two
// rounds or more, and the complaints: the officer sees all five states, a supplier only its
// own. Every screen at a tablet's width (1024 px) without sideways scrolling. What the page
// shows is compared with what the API answers the same user.
//
// The demo (api/src/demo) leaves a generic at warning (or alarm) in Beijing, generics awarded
// in two rounds or more, and one complaint in each state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, api, horizontalOverflow, launch, login, newPage } from './lib.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const TABLET = { width: 1024, height: 768 };
const STATUSES = ['submitted', 'under_review', 'upheld', 'dismissed', 'withdrawn'];
const BEIJING = '110000';

/** The data-status of every complaint status tag in the list. */
async function shownStatuses(page) {
  return page.locator('[data-testid^="complaint-status-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
}

/** The ids of the complaint list's rows, in order. */
async function shownIds(page) {
  return page.locator('.ant-table-tbody tr.ant-table-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-row-key')));
}

test('an officer sees the shortage warnings: the chart, a Beijing generic at warning or alarm, its contracts and backups', async () => {
  const page = await newPage(browser, TABLET);
  await login(page, 'officer@vbp.demo');
  await page.goto(`${BASE}/oversight/warnings`);
  const chart = page.getByTestId('warnings-chart');
  await chart.waitFor();
  const all = await api(page, '/api/v1/monitoring/warnings');
  assert.ok(all.by_province.length > 0, 'the demo has warnings');
  assert.equal(Number(await chart.getAttribute('data-provinces')), all.by_province.length);
  await chart.locator('canvas').first().waitFor();
  assert.ok((await chart.locator('canvas').count()) >= 1, 'the chart is drawn');
  assert.match(
    await page.getByTestId('warnings-rules').innerText(),
    new RegExp(`${all.rules.window_days} 天[\\s\\S]*${all.rules.watch_at}[\\s\\S]*${all.rules.warning_at}[\\s\\S]*${all.rules.alarm_at}`),
  );

  // highest level first: the first warning or alarm of the API is on the first page, at its level
  const high = all.warnings.filter((w) => w.level === 'warning' || w.level === 'alarm');
  assert.ok(high.length > 0, 'the demo has a generic at warning or alarm');
  const first = page.getByTestId(`warning-row-${high[0].province}-${high[0].generic_name}`);
  await first.waitFor();
  assert.equal(await first.getAttribute('data-level'), high[0].level);
  assert.equal(await horizontalOverflow(page), 0, 'the warnings page scrolls sideways');

  // Beijing's, by the province filter in the address
  const beijing = high.find((w) => w.province === BEIJING);
  assert.ok(beijing, 'the demo has a Beijing generic at warning or alarm');
  await page.goto(`${BASE}/oversight/warnings?province=${BEIJING}`);
  const row = page.getByTestId(`warning-row-${BEIJING}-${beijing.generic_name}`);
  await row.waitFor();
  assert.equal(await row.getAttribute('data-level'), beijing.level);
  const inBeijing = (await api(page, `/api/v1/monitoring/warnings?province=${BEIJING}`)).warnings;
  const rows = page.locator('[data-testid^="warning-row-"]');
  assert.equal(await rows.count(), Math.min(inBeijing.length, 20));
  for (const id of await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))) {
    assert.ok(id.startsWith(`warning-row-${BEIJING}-`), `${id} is not a Beijing warning`);
  }

  // the drawer: the hospitals, every contract of the generic with its backup, the problems
  await page.getByTestId(`warning-open-${BEIJING}-${beijing.generic_name}`).click();
  const drawer = page.getByTestId('warning-drawer');
  await drawer.waitFor();
  for (const c of beijing.contracts) await drawer.getByTestId(`warning-contract-${c.contract_id}`).waitFor();
  // ten a page
  assert.equal(await drawer.getByTestId('warning-hospitals').locator('tbody tr.ant-table-row').count(), Math.min(beijing.hospitals.length, 10));
  for (const c of beijing.contracts.filter((x) => x.backup_supplier_name)) {
    assert.ok((await drawer.innerText()).includes(c.backup_supplier_name), `the backup ${c.backup_supplier_name} is not shown`);
  }
  // an officer may record a supply failure on an active contract (the backup takes over)
  const active = beijing.contracts.find((c) => c.status === 'active');
  if (active) await drawer.getByTestId(`supply-failure-${active.contract_id}`).waitFor();
  assert.equal(await horizontalOverflow(page), 0, 'the warning drawer makes the page scroll sideways');
  await page.keyboard.press('Escape');

  // the scan, run now: what it recorded and changed is said
  await page.getByTestId('supply-scan').click();
  const result = page.getByTestId('supply-scan-result');
  await result.waitFor();
  assert.match(await result.innerText(), /\d{4}-\d{2}-\d{2}/);
  await page.context().close();
});

test("a provincial centre sees its own province's warnings only, and cannot scan", async () => {
  const page = await newPage(browser, TABLET);
  await login(page, 'buyer@vbp.demo');
  const me = await api(page, '/api/v1/me');
  await page.goto(`${BASE}/oversight/warnings`);
  await page.getByTestId('warnings-rules').waitFor();
  const mine = await api(page, '/api/v1/monitoring/warnings');
  if (mine.warnings.length > 0) await page.getByTestId(`warning-row-${mine.warnings[0].province}-${mine.warnings[0].generic_name}`).waitFor();
  for (const w of mine.warnings) assert.equal(w.province, me.province);
  for (const id of await page.locator('[data-testid^="warning-row-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))) {
    assert.ok(id.startsWith(`warning-row-${me.province}-`), `${id} is another province's`);
  }
  assert.equal(await page.getByTestId('supply-scan').count(), 0, 'a centre is offered the scan');
  assert.equal(await page.getByTestId('warnings-province').count(), 0, 'a centre is offered other provinces');
  assert.equal(await horizontalOverflow(page), 0);
  await page.context().close();
});

test('an officer follows the prices of a generic awarded in two rounds or more', async () => {
  const page = await newPage(browser, TABLET);
  await login(page, 'officer@vbp.demo');
  await page.goto(`${BASE}/oversight/prices`);
  const index = await api(page, '/api/v1/price-index');
  const generic = index.find((g) => g.rounds >= 2);
  assert.ok(generic, 'the demo has a generic awarded in two rounds or more');
  const name = generic.generic_name;

  // picked from the list (typed into the search, the option by its exact name)
  const picker = page.getByTestId('generic-picker');
  await picker.waitFor();
  await picker.click();
  await picker.locator('input').fill(name);
  await page.locator(`.ant-select-dropdown:visible .ant-select-item-option[title="${name}"]`).click();
  await page.waitForURL((u) => new URL(u).searchParams.get('generic') === name);

  const monitor = await api(page, `/api/v1/monitoring/prices?generic_name=${encodeURIComponent(name)}`);
  assert.ok(monitor.points.length >= 2, `${name}: the index has ${generic.rounds} rounds, the monitor ${monitor.points.length} points`);
  const chart = page.locator(`[data-testid=price-chart][data-generic="${name}"]`);
  await chart.waitFor();
  assert.equal(Number(await chart.getAttribute('data-points')), monitor.points.length);
  await chart.locator('canvas').first().waitFor();
  assert.ok((await chart.locator('canvas').count()) >= 1, 'the chart is drawn');
  // the same points in the table, oldest award first
  const points = page.getByTestId('price-points').locator('tbody tr.ant-table-row');
  assert.equal(await points.count(), monitor.points.length);
  assert.ok((await points.first().innerText()).includes(monitor.points[0].awarded_on));
  // the alerts, as many as the API's
  const alerts = page.getByTestId('price-alerts');
  await alerts.waitFor();
  assert.equal(Number(await alerts.getAttribute('data-alerts')), monitor.alerts.length);
  assert.equal(await alerts.locator('[data-testid^="price-alert-"]').count(), monitor.alerts.length);

  // the public CSV: one row per round, lot and province (no token needed)
  const href = await page.getByTestId('price-csv').getAttribute('href');
  const csv = await page.evaluate(async (h) => {
    const r = await fetch(h);
    return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
  }, href);
  assert.equal(csv.status, 200);
  assert.match(csv.type ?? '', /text\/csv/);
  const lines = csv.text.trim().split('\n');
  assert.match(lines[0], /^generic_name,round_name,awarded_on,/);
  assert.equal(lines.length - 1, monitor.points.reduce((n, p) => n + p.provinces.length, 0));
  assert.equal(await horizontalOverflow(page), 0, 'the prices page scrolls sideways');
  await page.context().close();
});

test('complaints: the officer sees every state, a supplier its own only', async () => {
  // --- the officer: the whole list
  const officer = await newPage(browser, TABLET);
  await login(officer, 'officer@vbp.demo');
  await officer.goto(`${BASE}/complaints`);
  const all = await api(officer, '/api/v1/complaints?per_page=200');
  const firstPage = await api(officer, '/api/v1/complaints?per_page=20');
  assert.deepEqual([...new Set(all.items.map((c) => c.status))].sort(), [...STATUSES].sort(), 'the demo has a complaint in each state');
  assert.ok(firstPage.items.length > 0);
  await officer.locator(`tr[data-row-key="${firstPage.items[0].id}"]`).waitFor();
  assert.deepEqual(await shownIds(officer), firstPage.items.map((c) => c.id));
  const shown = await shownStatuses(officer);
  assert.deepEqual(shown, firstPage.items.map((c) => c.status));
  if (all.total <= 20) assert.deepEqual([...new Set(shown)].sort(), [...STATUSES].sort(), 'the list does not show all five states');
  assert.equal(await horizontalOverflow(officer), 0, 'the complaints page scrolls sideways');

  // a complaint's own address (the mail notices' link) opens it; an open one offers the decisions
  const open = all.items.find((c) => c.status === 'submitted');
  await officer.goto(`${BASE}/complaints/${open.id}`);
  const drawer = officer.getByTestId('complaint-drawer');
  await drawer.waitFor();
  assert.equal(await drawer.getAttribute('data-status'), 'submitted');
  assert.equal((await officer.getByTestId('complaint-grounds').innerText()).trim(), open.grounds.trim());
  await officer.getByTestId('complaint-review').waitFor();
  await officer.getByTestId('complaint-uphold').waitFor();
  await officer.getByTestId('complaint-dismiss').waitFor();
  for (const a of open.attachments) assert.equal((await officer.getByTestId(`attachment-sha-${a.id}`).innerText()).trim(), a.sha256);
  assert.equal(await horizontalOverflow(officer), 0, 'the complaint drawer makes the page scroll sideways');
  // a decided one offers nothing
  const upheld = all.items.find((c) => c.status === 'upheld');
  await officer.goto(`${BASE}/complaints/${upheld.id}`);
  await officer.locator('[data-testid=complaint-drawer][data-status=upheld]').waitFor();
  await officer.getByTestId('complaint-answer').waitFor();
  assert.equal(await officer.getByTestId('complaint-uphold').count(), 0, 'a decided complaint can be decided again');
  await officer.context().close();

  // --- the supplier: its own complaints, nobody else's
  const page = await newPage(browser, TABLET);
  await login(page, 'supplier@vbp.demo');
  const me = await api(page, '/api/v1/me');
  await page.goto(`${BASE}/complaints`);
  await page.getByTestId('complaint-new').waitFor();
  const mine = await api(page, '/api/v1/complaints?per_page=200');
  assert.ok(mine.items.every((c) => c.supplier_org_id === me.org_id), 'the API gives a supplier another supplier’s complaint');
  assert.deepEqual(
    mine.items.map((c) => c.id).sort(),
    all.items.filter((c) => c.supplier_org_id === me.org_id).map((c) => c.id).sort(),
    'the supplier does not see exactly its own complaints',
  );
  const minePage = await api(page, '/api/v1/complaints?per_page=20');
  if (minePage.items.length > 0) {
    await page.locator(`tr[data-row-key="${minePage.items[0].id}"]`).waitFor();
  } else {
    await page.locator('.ant-table-placeholder').waitFor();
  }
  assert.deepEqual(await shownIds(page), minePage.items.map((c) => c.id));
  assert.deepEqual(await shownStatuses(page), minePage.items.map((c) => c.status));
  // the supplier column is for the office only
  assert.ok(!(await page.locator('.ant-table-thead').innerText()).includes('质疑企业'));
  assert.equal(await horizontalOverflow(page), 0, "the supplier's complaints page scrolls sideways");

  // another supplier's complaint, by its address: not found
  const other = all.items.find((c) => c.supplier_org_id !== me.org_id);
  if (other) {
    await page.goto(`${BASE}/complaints/${other.id}`);
    await page.locator('.ant-drawer .ant-alert-error').waitFor();
    assert.equal(await page.getByTestId('complaint-drawer').count(), 0, "a supplier opens another supplier's complaint");
  }
  await page.context().close();
});
