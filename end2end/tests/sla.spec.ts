import { test, expect, Page } from '@playwright/test';
import { Client } from 'pg';
import { hydrated, signIn, ROLES } from './helpers';

// The dashboard and the exception queue against the demo history, with rows put straight into
// the database the server uses to see the live updates arrive without a reload.

async function db<T>(work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: process.env.E2E_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Marks the window, so a later check can tell the page was not reloaded. */
async function mark(page: Page) {
  await page.evaluate(() => ((window as any).__notReloaded = true));
}

async function notReloaded(page: Page) {
  expect(await page.evaluate(() => (window as any).__notReloaded === true)).toBe(true);
}

const ordersTile = (page: Page) => page.locator('#kpi-tiles [data-kpi="exception_rate"] .tile-basis');

test('the dashboard filters without a reload and updates live as figures change', async ({ page }) => {
  await signIn(page, 'agent');
  await expect(page).toHaveURL(ROLES.agent.home);
  await page.goto('/dashboard');
  await hydrated(page);
  await mark(page);
  await expect(page.locator('#chart-trend svg')).toBeVisible();
  await expect(page.locator('#chart-release-delay svg')).toBeVisible();
  const all = await ordersTile(page).innerText();
  const allCount = parseInt(all, 10);
  expect(allCount).toBeGreaterThan(0);

  // One warehouse: fewer orders, and the tiles, charts and choices stay on the page.
  await page.locator('#dashboard-filters').getByLabel('Warehouse').selectOption('NJ');
  await expect(ordersTile(page)).not.toHaveText(all);
  const nj = parseInt(await ordersTile(page).innerText(), 10);
  expect(nj).toBeLessThan(allCount);
  await expect(page.locator('#dashboard-filters select[name="warehouse"]')).toHaveValue('NJ');
  await page.locator('#dashboard-filters').getByLabel('Period').selectOption('7');
  await expect(page.locator('#period')).toContainText('against the 7 days before');
  await notReloaded(page);

  // Five more NJ orders counted today (as the projector would add them): the page follows.
  const week = parseInt(await ordersTile(page).innerText(), 10);
  await db((c) =>
    c.query(
      `insert into kpi_daily (day, warehouse_code, orders) values (current_date, 'NJ', 5)
       on conflict on constraint kpi_daily_key do update set orders = kpi_daily.orders + 5`,
    ),
  );
  await expect(ordersTile(page)).toHaveText(`${week + 5} orders`, { timeout: 15_000 });
  await notReloaded(page);
  await db((c) => c.query(`update kpi_daily set orders = orders - 5 where day = current_date and warehouse_code = 'NJ' and account_id is null and carrier is null and service_level is null`));
});

test('an agent works a case: assign, refuse a snooze without reason, resolve, comment; new cases arrive live', async ({ page }) => {
  const order = await db(async (c) => {
    await c.query(`delete from exception_case where case_key like 'e2e:%'`);
    const o = await c.query(`select order_id, order_ref, account_id from "order" order by order_id limit 1`);
    return o.rows[0];
  });
  const caseId: number = await db(async (c) => {
    const r = await c.query(
      `insert into exception_case (case_key, category, kind, severity, summary, order_id, order_ref, account_id,
                                   order_value, due_at, opened_at)
       values ('e2e:first', 'carrier', 'damaged', 'critical', 'E2E parcel crushed', $1, $2, $3, 99999,
               now() - interval '400 days', now())
       returning exception_case_id`,
      [order.order_id, order.order_ref, order.account_id],
    );
    return Number(r.rows[0].exception_case_id);
  });

  await signIn(page, 'agent');
  await expect(page).toHaveURL('/exceptions');
  await hydrated(page);
  await mark(page);
  const row = page.locator(`#cases tr[data-case="${caseId}"]`);
  // The longest overdue: first in the queue.
  await expect(page.locator('#cases tbody tr').first()).toHaveAttribute('data-case', String(caseId));
  await expect(row).toContainText('overdue');

  // Assign it to me.
  await row.getByRole('checkbox').check();
  const form = page.locator('#case-actions');
  await expect(form).toContainText('1 selected');
  await form.getByLabel('Action').selectOption('assign');
  await form.getByLabel('To').selectOption('me');
  await form.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByText('Done. Recorded in the audit log.')).toBeVisible();
  await expect(row).toContainText('Alma Agent');

  // A snooze needs a reason: refused, and the case is unchanged.
  await row.getByRole('checkbox').check();
  await form.getByLabel('Action').selectOption('snooze');
  await form.getByLabel('Until (UTC)').fill('2099-01-01T09:00');
  // Meanwhile a new case filed by the server appears without a reload, and the half-filled
  // form keeps what the agent chose and typed.
  await db((c) =>
    c.query(
      `insert into exception_case (case_key, category, kind, severity, summary, order_ref, opened_at, due_at, order_value)
       values ('e2e:second', 'delay', 'delayed', 'warning', 'E2E weather delay', $1, now(), now() - interval '2 days', 1)`,
      [order.order_ref],
    ),
  );
  await expect(page.locator('#cases')).toContainText('E2E weather delay', { timeout: 15_000 });
  await notReloaded(page);

  await expect(form.getByLabel('Action')).toHaveValue('snooze');
  await expect(form.getByLabel('Until (UTC)')).toBeVisible();
  await expect(form.getByLabel('Until (UTC)')).toHaveValue('2099-01-01T09:00');
  await form.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByRole('alert')).toContainText('reason');
  await expect(row).toContainText('open');

  // Comment on it.
  await row.getByRole('button', { name: /Comments/ }).click();
  const panel = page.locator('#case-panel');
  await panel.getByLabel('Comment').fill('Called the carrier; claim filed.');
  await panel.getByRole('button', { name: 'Comment' }).click();
  await expect(panel).toContainText('Called the carrier; claim filed.');

  // Resolve the first with a reason: it leaves the open queue and shows under Closed.
  await row.getByRole('checkbox').check();
  await form.getByLabel('Action').selectOption('resolve');
  await form.getByLabel('Reason').fill('Replacement shipped');
  await form.getByRole('button', { name: 'Apply' }).click();
  await expect(row).toHaveCount(0);
  await page.locator('.filters').getByLabel('Status').selectOption('closed');
  await expect(page.locator(`#cases tr[data-case="${caseId}"]`)).toContainText('resolved: Replacement shipped');

  const audit = await db((c) =>
    c.query(`select action from audit_log where subject = $1 order by audit_log_id`, [`exception:${caseId}`]),
  );
  expect(audit.rows.map((r) => r.action)).toEqual(['exception.assign', 'exception.comment', 'exception.resolve']);
  await db((c) => c.query(`delete from exception_case where case_key like 'e2e:%'`));
});
