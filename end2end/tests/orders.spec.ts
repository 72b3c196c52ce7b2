import { test, expect, Page } from '@playwright/test';
import { hydrated, signIn, ROLES } from './helpers';

// Runs against the demo history (`milepost demo`), fed through the ingest pipeline.

async function openOrders(page: Page) {
  await page.locator('nav[aria-label="Main"]').getByRole('link', { name: 'Orders' }).click();
  await expect(page.locator('#orders tbody tr').first()).toBeVisible();
  await hydrated(page);
}

/** The order number of the first listed row whose customer cell mentions `account`. */
async function firstOrderOf(page: Page, account: string): Promise<string> {
  const row = page.locator('#orders tbody tr', { has: page.locator('td', { hasText: `(${account})` }) }).first();
  return (await row.getAttribute('data-order'))!;
}

test('an agent searches, filters and pages through orders', async ({ page }) => {
  await signIn(page, 'agent');
  await expect(page).toHaveURL(ROLES.agent.home);
  await openOrders(page);
  await expect(page.locator('#orders tbody tr')).toHaveCount(50);
  await expect(page.locator('#order-count')).toContainText('page 1 of');

  // Search by a customer PO taken from the list: exactly that order comes back.
  const first = page.locator('#orders tbody tr').first();
  const ref = (await first.getAttribute('data-order'))!;
  const po = (await first.locator('td').nth(2).innerText()).trim();
  const search = po || ref;
  await page.getByLabel('Search').fill(search);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/q=/);
  await expect(page.locator('#orders tbody tr')).toHaveCount(1);
  await expect(page.locator(`#orders tr[data-order="${ref}"]`)).toBeVisible();

  // Filter by status: every row shown has it.
  await page.getByLabel('Search').fill('');
  await page.getByLabel('Status').selectOption('delivered');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/status=delivered/);
  await expect(page.locator('#orders tbody tr').first()).toBeVisible();
  const statuses = await page.locator('#orders tbody tr [data-status]').evaluateAll(
    (els) => els.map((e) => e.getAttribute('data-status')));
  expect(statuses.length).toBeGreaterThan(0);
  expect(new Set(statuses)).toEqual(new Set(['delivered']));

  // The next page keeps the filter.
  await page.getByRole('link', { name: 'Next →' }).click();
  await expect(page).toHaveURL(/status=delivered.*page=2/);
  await expect(page.locator('#order-count')).toContainText('page 2 of');
});

test('an agent reads an order timeline and the raw message behind an event', async ({ page }) => {
  await signIn(page, 'agent');
  await expect(page).toHaveURL(ROLES.agent.home);
  await openOrders(page);
  await page.getByLabel('Status').selectOption('delivered');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/status=delivered/);
  // The list may still be settling on its filtered rows when a link is read: the order opened
  // is the one the address names.
  await page.locator('#orders tbody tr td a').first().click();
  await expect(page).toHaveURL(/\/orders\/[^/?]+$/);
  const ref = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
  await expect(page.locator('#order-title')).toContainText(`Order ${ref}`);
  await hydrated(page);
  const timeline = page.locator('#timeline tbody tr');
  await expect(timeline.first()).toBeVisible();
  // One timeline across the three kinds of system, each with its disposition.
  await expect(page.locator('#timeline')).toContainText('Order system');
  await expect(page.locator('#timeline')).toContainText('Warehouse');
  await expect(page.locator('#timeline')).toContainText('Carrier');
  await expect(page.locator('#timeline tr[data-event="shipment.delivered"]').first()).toBeVisible();
  await expect(page.locator('#lines tbody tr').first()).toBeVisible();
  await expect(page.locator('#shipments tbody tr').first()).toBeVisible();

  await timeline.first().getByRole('button', { name: 'View' }).click();
  const raw = page.locator('#raw-message');
  await expect(raw).toBeVisible();
  await expect(raw.locator('pre.body')).toContainText(ref);
});

test('a customer sees only their own orders, without raw messages', async ({ page, browser }) => {
  // Two users sign in and several pages load: more than the default budget on a debug build.
  test.setTimeout(60_000);
  // Find another account's order as an agent first.
  const agent = await browser.newPage();
  await signIn(agent, 'agent');
  await expect(agent).toHaveURL(ROLES.agent.home);
  await openOrders(agent);
  const foreign = await firstOrderOf(agent, 'NWND');
  expect(foreign).toBeTruthy();
  await agent.close();

  await signIn(page, 'customer');
  await expect(page).toHaveURL('/portal');
  await expect(page.locator('#orders tbody tr').first()).toBeVisible();
  const customers = await page.locator('#orders tbody tr td:nth-child(2)').allInnerTexts();
  expect(customers.length).toBeGreaterThan(0);
  for (const c of customers) expect(c).toContain('(DEMO)');

  await page.getByLabel('Search').fill(foreign);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.locator('#no-orders')).toBeVisible();

  await page.goto(`/portal/orders/${foreign}`);
  await hydrated(page);
  await expect(page.getByRole('alert')).toContainText('not found');

  // Back through the navigation: the hydrated app routes on the client, no second full load.
  await page.locator('nav[aria-label="Main"]').getByRole('link', { name: 'My orders' }).click();
  await expect(page.locator('#orders tbody tr').first()).toBeVisible();
  await page.locator('#orders tbody tr td a').first().click();
  await expect(page.locator('#timeline tbody tr').first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'View' })).toHaveCount(0);
  await expect(page.locator('#timeline')).not.toContainText('shiphero');
});

test('an account manager sees only the accounts assigned to them', async ({ page }) => {
  await signIn(page, 'account_manager');
  await expect(page).toHaveURL(ROLES.account_manager.home);
  await openOrders(page);
  const customers = await page.locator('#orders tbody tr td:nth-child(2)').allInnerTexts();
  expect(customers.length).toBe(50);
  for (const c of customers) expect(c).toContain('(DEMO)');
});
