// Screenshots of each main screen in Chinese and English (scripts/screenshots.sh runs this
// against a fresh demo and writes docs/ui/<screen>.<lang>.png).
import { mkdir } from 'node:fs/promises';
import { BASE, launch, login, newPage } from './lib.mjs';
import { MAIN_SCREENS, pathOf, settle } from './screens.mjs';

const out = process.argv[2] ?? 'docs/ui';
await mkdir(out, { recursive: true });
const browser = await launch();
try {
  for (const lang of ['zh', 'en']) {
    const page = await newPage(browser, { lang });
    await page.goto(`${BASE}/login`);
    await settle(page);
    await page.screenshot({ path: `${out}/login.${lang}.png` });
    await page.context().close();
    for (const user of [...new Set(MAIN_SCREENS.map((s) => s.user))]) {
      const page = await newPage(browser, { lang });
      await login(page, user);
      for (const screen of MAIN_SCREENS.filter((s) => s.user === user)) {
        await page.goto(`${BASE}${await pathOf(page, screen)}`);
        await settle(page);
        if (screen.prepare) await screen.prepare(page).catch((e) => console.warn(`${screen.name}: ${e.message}`));
        await page.screenshot({ path: `${out}/${screen.name}.${lang}.png` });
        console.log(`${out}/${screen.name}.${lang}.png`);
      }
      await page.context().close();
    }
  }
} finally {
  await browser.close();
}
