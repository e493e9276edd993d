// The web UI's weight and first load (docs/benchmarks.md, "Web UI"), run by bench/ui.sh:
//  1. gzipped JavaScript and CSS each screen needs on a first visit: the entry's chunks plus
//     the screen's own and everything it imports, from Vite's manifest (dist/.vite/manifest.json);
//  2. time to interactive on loopback in Chromium with a cold cache: the sign-in form usable,
//     and, signed in, a supplier's bid form usable (median of N runs).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { launch, login, newPage, roundIn, BASE } from '../admin-ui/e2e/lib.mjs';

const dist = new URL('../admin-ui/dist/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('.vite/manifest.json', dist), 'utf8'));
const gz = new Map();
const size = (file) => {
  if (!gz.has(file)) {
    const bytes = readFileSync(new URL(file, dist));
    gz.set(file, { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
  }
  return gz.get(file);
};
// a chunk and its static imports (what loads with it)
const closure = (key, seen = new Set()) => {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const k of manifest[key].imports ?? []) closure(k, seen);
  return seen;
};
const files = (keys) => {
  const out = new Set();
  for (const k of keys) {
    out.add(manifest[k].file);
    for (const c of manifest[k].css ?? []) out.add(c);
  }
  return out;
};
const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);
const entry = files(closure(entryKey));
// signed-in screens also load the frame (ProLayout), a lazy chunk of its own
const shell = files(closure('src/Shell.tsx'));
const sum = (set) => [...set].reduce((a, f) => ({ raw: a.raw + size(f).raw, gzip: a.gzip + size(f).gzip }), { raw: 0, gzip: 0 });
const kb = (n) => (n / 1024).toFixed(1);

console.log('| screen | JS+CSS loaded on a first visit, gzip (raw) KiB | of which the screen itself adds |');
console.log('|---|---|---|');
const e = sum(entry);
console.log(`| sign-in (entry) | ${kb(e.gzip)} (${kb(e.raw)}) | — |`);
for (const key of Object.keys(manifest).filter((k) => k.startsWith('src/pages/') && manifest[k].isDynamicEntry).sort()) {
  const all = new Set([...entry, ...shell, ...files(closure(key))]);
  const own = new Set([...files(closure(key))].filter((f) => !entry.has(f) && !shell.has(f)));
  const a = sum(all);
  const o = sum(own);
  console.log(`| ${key.replace('src/pages/', '').replace('.tsx', '')} | ${kb(a.gzip)} (${kb(a.raw)}) | ${kb(o.gzip)} |`);
}
const total = sum(new Set(Object.values(manifest).flatMap((m) => [m.file, ...(m.css ?? [])])));
console.log(`\nwhole build: ${kb(total.gzip)} KiB gzip (${kb(total.raw)} KiB raw), ${Object.keys(manifest).length} chunks`);

if (process.env.VBP_E2E_BASE) {
  const runs = Number(process.env.RUNS ?? 5);
  const browser = await launch();
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const signIn = [];
  const bid = [];
  for (let i = 0; i < runs; i++) {
    // cold: a new context has an empty cache
    const page = await newPage(browser);
    await page.goto(`${BASE}/login`);
    await page.locator('button[type=submit]:not([disabled])').waitFor();
    signIn.push(await page.evaluate(() => performance.now()));
    await page.context().close();
    const p2 = await newPage(browser);
    await login(p2, 'supplier@vbp.demo');
    const round = await roundIn(p2, 'bidding_open');
    const token = await p2.evaluate(() => sessionStorage.getItem('vbp.token'));
    await p2.context().close();
    // a cold load of the bid page, as from a bookmark in a new tab with the session's token
    const p3 = await newPage(browser);
    await p3.context().addInitScript((t) => sessionStorage.setItem('vbp.token', t), token);
    await p3.goto(`${BASE}/rounds/${round.id}/bid`);
    await p3.getByTestId('bid-submit').waitFor();
    bid.push(await p3.evaluate(() => performance.now()));
    await p3.context().close();
  }
  await browser.close();
  console.log(`\ntime to interactive on loopback, median of ${runs} (ms): sign-in form ${median(signIn).toFixed(0)} (cold cache); supplier's bid form ${median(bid).toFixed(0)} (cold cache, signed in)`);
  console.log(`runs: sign-in ${signIn.map((x) => x.toFixed(0)).join(', ')}; bid ${bid.map((x) => x.toFixed(0)).join(', ')}`);
}

