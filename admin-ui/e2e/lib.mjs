// What every browser test shares: Debian's Chromium driven by playwright-core (a browser
// cannot be downloaded here), the server under test (VBP_E2E_BASE, default the Vite dev
// server) and the demo's password.
import { chromium } from 'playwright-core';

export const BASE = process.env.VBP_E2E_BASE ?? 'http://127.0.0.1:5173';
export const PASSWORD = process.env.VBP_DEMO_PASSWORD ?? 'demo-password-2026';
const CHROMIUM = process.env.VBP_CHROMIUM ?? '/usr/bin/chromium';

/** A headless Chromium; close it in the test's `after`. */
export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/** A new page (laptop size by default), in Chinese unless `lang` says 'en'. */
export async function newPage(browser, { width = 1366, height = 768, lang = 'zh' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale: lang === 'en' ? 'en-US' : 'zh-CN' });
  // the language a user starts with (kept across reloads, as the UI stores the user's choice)
  await context.addInitScript((l) => localStorage.getItem('vbp.lang') || localStorage.setItem('vbp.lang', l), lang);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  return page;
}

/** Signs in through the login form and waits for the shell. */
export async function login(page, email, { password = PASSWORD } = {}) {
  await page.goto(`${BASE}/login`);
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await page.locator('button[type=submit]').click();
  await page.getByTestId('whoami').waitFor();
}

/** The demo's round in a given state, by the API with the page's token. */
export async function roundIn(page, status) {
  const rounds = await api(page, `/api/v1/rounds?status=${status}&per_page=50`);
  const r = rounds.items.find((x) => x.name.includes('演示')) ?? rounds.items[0];
  if (!r) throw new Error(`no round in state ${status}`);
  return r;
}

/** A GET through the page's session (for finding ids and checking outcomes). */
export async function api(page, path) {
  return page.evaluate(async (p) => {
    const token = sessionStorage.getItem('vbp.token');
    const r = await fetch(p, { headers: { Authorization: `Bearer ${token}` } });
    if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
    return r.json();
  }, path);
}

/** The width the document scrolls beyond the viewport (0: no horizontal scrolling). */
export function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Chooses an option of an antd Select by its text (typed into it first when it searches). */
export async function choose(page, testId, text) {
  const select = page.getByTestId(testId);
  await select.click();
  if ((await select.getAttribute('class'))?.includes('ant-select-show-search')) await select.locator('input').fill(text);
  const option = page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: text }).first();
  await option.click();
}

