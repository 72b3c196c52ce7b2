import { test, expect, Page } from '@playwright/test';
import { Client } from 'pg';
import { readFileSync } from 'fs';
import { hydrated, signIn, ROLES } from './helpers';

// The account manager's month, a breach's evidence and its dispute; the agent's decision; the
// figures that move on the report and the portal. Against the demo history.

async function db<T>(work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: process.env.E2E_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A delivery of the account manager's account that came late and is not disputed yet: this
 * month's when there is one (so the portal's month shows it), else the latest. */
async function lateDelivery(): Promise<{ order: string; account: string; month: string; thisMonth: boolean }> {
  return db(async (c) => {
    const r = await c.query(
      `select o.order_ref, a.code, to_char(o.ordered_at, 'YYYY-MM') as month,
              date_trunc('month', o.ordered_at) = date_trunc('month', now()) as this_month
       from sla_clock k join "order" o using (order_id) join account a on a.account_id = o.account_id
       join account_manager_assignment m on m.account_id = o.account_id
       join app_user u on u.user_id = m.user_id
       where u.email = 'account_manager@demo.milepost.test' and k.segment = 'deliver'
         and k.ended_at > k.due_at and not k.failed
         and not exists (select 1 from dispute d where d.order_id = k.order_id and d.segment = 'deliver')
       order by this_month desc, o.ordered_at desc limit 1`,
    );
    const row = r.rows[0];
    return { order: row.order_ref, account: row.code, month: row.month, thisMonth: row.this_month };
  });
}

const deliverRow = (page: Page) => page.locator('#attainment tr[data-key="deliver"]');

async function portalOnTime(page: Page): Promise<string> {
  await page.goto('/portal');
  await hydrated(page);
  return page.locator('#portal-on-time').innerText();
}

test('a manager disputes a breach from the month, an agent excuses it, the report and the portal move', async ({ browser }) => {
  // Three people, a dozen pages on a debug build.
  test.setTimeout(120_000);
  const late = await lateDelivery();
  expect(late.order).toBeTruthy();

  const customer = await browser.newPage();
  await signIn(customer, 'customer');
  await expect(customer).toHaveURL(ROLES.customer.home);
  const portalBefore = await portalOnTime(customer);

  // The manager opens the month and drills into the breach.
  const manager = await browser.newPage();
  await signIn(manager, 'account_manager');
  await expect(manager).toHaveURL(ROLES.account_manager.home);
  await manager.goto(`/reports?account=${late.account}&month=${late.month}`);
  await hydrated(manager);
  await expect(manager.locator('#report-title')).toContainText(late.month);
  await expect(manager.locator('#chart-months svg')).toBeVisible();
  const excusedBefore = Number(await deliverRow(manager).locator('.excused').innerText());
  const breach = manager.locator('#breaches tbody tr', { hasText: late.order }).filter({ hasText: 'Deliver' });
  await expect(breach).toHaveCount(1);
  await breach.getByRole('link', { name: 'Evidence · dispute' }).click();
  await expect(manager).toHaveURL(`/orders/${late.order}/evidence/deliver`);
  await expect(manager.locator('#evidence-title')).toContainText(late.order);

  // The pack downloads as JSON with the hashes of the messages.
  const [download] = await Promise.all([
    manager.waitForEvent('download'),
    manager.locator('#evidence-json').click(),
  ]);
  expect(download.suggestedFilename()).toBe(`evidence-${late.order}-deliver.json`);
  const pack = JSON.parse(readFileSync(await download.path(), 'utf8'));
  expect(pack.clock.state).toBe('breached');
  expect(pack.events.length).toBeGreaterThan(0);
  for (const e of pack.events) expect(e.message_sha256).toMatch(/^[0-9a-f]{64}$/);

  // The dispute.
  const form = manager.locator('form.open-dispute');
  await form.getByLabel('Why it should not count').selectOption('customer_caused');
  await form.getByLabel('What happened').fill('The consignee asked to hold the parcel (browser test).');
  await form.getByRole('button', { name: 'Open a dispute' }).click();
  await expect(manager.getByText('Dispute opened')).toBeVisible();
  await expect(manager.locator('.dispute-list tbody tr').first()).toContainText('under review');

  // The agent finds it in the queue and excuses it beside the evidence.
  const agent = await browser.newPage();
  await signIn(agent, 'agent');
  await expect(agent).toHaveURL(ROLES.agent.home);
  await hydrated(agent);
  await agent.locator('select[name="category"]').selectOption('dispute');
  const link = agent.locator('a.dispute-link', { hasText: 'Dispute of the deliver breach' });
  await expect(link.first()).toBeVisible();
  await agent.goto(`/orders/${late.order}/evidence/deliver`);
  await hydrated(agent);
  const decide = agent.locator('form.decide-dispute');
  await decide.getByLabel('Decision').selectOption('excused');
  await decide.getByLabel('Excused because').selectOption('customer_caused');
  await decide.getByLabel('Why', { exact: true }).fill('Hold request on file (browser test).');
  await decide.getByRole('button', { name: 'Decide' }).click();
  await expect(agent.getByText('Decided.')).toBeVisible();
  await expect(agent.locator('.dispute-list tbody tr').first()).toContainText('accepted');

  // The report counts it as excused and lists it.
  await manager.goto(`/reports?account=${late.account}&month=${late.month}`);
  await hydrated(manager);
  await expect(deliverRow(manager).locator('.excused')).toHaveText(String(excusedBefore + 1));
  await expect(manager.locator('#excusals')).toContainText(late.order);

  // The portal: the dispute's progress in the customer's words, and this month's figure after
  // excusals when the breach is this month's (the demo history spans the last 30 days).
  const after = await portalOnTime(customer);
  await expect(customer.locator('#portal-dispute-list')).toContainText('accepted: not counted against the service level');
  if (late.thisMonth) {
    expect(after).not.toBe(portalBefore);
    expect(after).toContain('excused');
  }
});
