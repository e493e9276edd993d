// Every main screen at a laptop's (1366x768) and a tablet's (1024x768) size: no horizontal
// scrolling of the page, and no serious or critical accessibility violation (axe-core, WCAG
// 2 A and AA rules).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { BASE, horizontalOverflow, launch, login, newPage } from './lib.mjs';
import { MAIN_SCREENS, pathOf, settle } from './screens.mjs';

// evaluated through the DevTools protocol: the page's CSP (script-src 'self') stays on
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

async function axe(page) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

for (const size of [
  { width: 1366, height: 768 },
  { width: 1024, height: 768 },
]) {
  test(`the login page at ${size.width}x${size.height}`, async () => {
    const page = await newPage(browser, size);
    await page.goto(`${BASE}/login`);
    await settle(page);
    assert.ok((await horizontalOverflow(page)) <= 0, 'the login page scrolls sideways');
    assert.deepEqual(await axe(page), []);
    await page.context().close();
  });

  const users = [...new Set(MAIN_SCREENS.map((s) => s.user))];
  for (const user of users) {
    test(`${user}'s main screens at ${size.width}x${size.height}`, async () => {
      const page = await newPage(browser, size);
      await login(page, user);
      const problems = [];
      for (const screen of MAIN_SCREENS.filter((s) => s.user === user)) {
        await page.goto(`${BASE}${await pathOf(page, screen)}`);
        await settle(page);
        const overflow = await horizontalOverflow(page);
        if (overflow > 0) problems.push(`${screen.name}: the page scrolls ${overflow}px sideways`);
        for (const v of await axe(page)) problems.push(`${screen.name}: ${v}`);
      }
      assert.deepEqual(problems, []);
      await page.context().close();
    });
  }
}
