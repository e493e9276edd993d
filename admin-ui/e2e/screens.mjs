// The main screens of each role, for the accessibility and layout checks and the screenshots.
import { api, roundIn } from './lib.mjs';

const round = (status, suffix) => async (page) => `/rounds/${(await roundIn(page, status)).id}${suffix}`;

export const MAIN_SCREENS = [
  { name: 'officer-home', user: 'officer@vbp.demo', path: '/' },
  { name: 'officer-catalog', user: 'officer@vbp.demo', path: '/catalog' },
  { name: 'officer-rounds', user: 'officer@vbp.demo', path: '/rounds' },
  { name: 'officer-round-builder', user: 'officer@vbp.demo', path: '/rounds/new' },
  { name: 'officer-bidding-live', user: 'officer@vbp.demo', path: round('bidding_open', '/manage') },
  { name: 'officer-opening', user: 'officer@vbp.demo', path: round('closed', '/manage') },
  { name: 'officer-evaluation', user: 'officer@vbp.demo', path: round('evaluated', '/manage') },
  { name: 'officer-results', user: 'officer@vbp.demo', path: round('awarded', '/results') },
  { name: 'officer-warnings', user: 'officer@vbp.demo', path: '/oversight/warnings' },
  { name: 'officer-prices', user: 'officer@vbp.demo', path: '/oversight/prices' },
  { name: 'officer-complaints', user: 'officer@vbp.demo', path: '/complaints' },
  {
    name: 'supplier-bid',
    user: 'supplier@vbp.demo',
    path: round('bidding_open', '/bid'),
    // for the picture: a lot, a product and a price typed in (the ceiling and UCP show)
    prepare: async (page) => {
      const options = page.locator('.ant-select-dropdown:visible .ant-select-item-option');
      for (let i = 0; i < 5; i++) {
        await page.getByTestId('bid-lot').click();
        await options.first().waitFor();
        if (i >= (await options.count())) break;
        await options.nth(i).click();
        // the first lot where the supplier has a product to offer
        const product = page.locator('.ant-select[data-testid=bid-product]:not(.ant-select-disabled)');
        if ((await product.count()) === 0) continue;
        await product.click();
        await page.waitForTimeout(300);
        if ((await options.count()) > 0) {
          await options.first().click();
          break;
        }
        await page.keyboard.press('Escape');
      }
      await page.getByTestId('bid-price').fill('0.1000');
      await page.getByTestId('bid-capacity').fill('5000000');
      await page.waitForTimeout(300);
    },
  },
  { name: 'supplier-orders', user: 'supplier@vbp.demo', path: '/orders' },
  { name: 'supplier-statements', user: 'supplier@vbp.demo', path: '/settlement/statements' },
  { name: 'supplier-complaints', user: 'supplier@vbp.demo', path: '/complaints' },
  { name: 'centre-demand', user: 'buyer@vbp.demo', path: round('demand_collection', '/demand') },
  { name: 'centre-contracts', user: 'buyer@vbp.demo', path: '/contracts' },
  { name: 'centre-supply-problems', user: 'buyer@vbp.demo', path: '/supply-problems' },
  { name: 'centre-warnings', user: 'buyer@vbp.demo', path: '/oversight/warnings' },
  { name: 'hospital-orders', user: 'hospital@vbp.demo', path: '/orders' },
  { name: 'hospital-new-order', user: 'hospital@vbp.demo', path: '/orders/new' },
  { name: 'hospital-deliveries', user: 'hospital@vbp.demo', path: '/deliveries' },
  { name: 'hospital-progress', user: 'hospital@vbp.demo', path: '/progress' },
  { name: 'insurer-prepayments', user: 'insurer@vbp.demo', path: '/settlement/prepayments' },
  { name: 'insurer-batches', user: 'insurer@vbp.demo', path: '/settlement/batches' },
  { name: 'insurer-payment-orders', user: 'insurer@vbp.demo', path: '/settlement/payment-orders' },
  { name: 'insurer-overdue', user: 'insurer@vbp.demo', path: '/settlement/overdue' },
  { name: 'auditor-audit', user: 'auditor@vbp.demo', path: '/audit' },
  { name: 'admin-users', user: 'admin@vbp.demo', path: '/admin/users' },
  { name: 'admin-jobs', user: 'admin@vbp.demo', path: '/admin/jobs' },
];

/** The screen's path (some depend on the demo's rounds). */
export async function pathOf(page, screen) {
  return typeof screen.path === 'string' ? screen.path : screen.path(page);
}

/** Waits until the screen has loaded what it shows: no request in flight, no spinner. */
export async function settle(page) {
  await page.waitForLoadState('networkidle');
  await page.locator('.ant-spin-spinning').first().waitFor({ state: 'detached', timeout: 15_000 }).catch(() => {});
  await page.locator('.ant-skeleton-active').first().waitFor({ state: 'detached', timeout: 15_000 }).catch(() => {});
  await page.waitForTimeout(300);
}

export { api };
