import { test, expect } from '@playwright/test';
import { Client } from 'pg';
import { hydrated, signIn, ROLES } from './helpers';

// A dead letter on a queue no worker serves, put straight into the database the server uses, so
// the page's replay and pause can be driven as an integrator would.

const QUEUE = 'wms:e2e-browser';

async function db<T>(work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: process.env.E2E_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

test('an integrator finds a dead letter, reads its exchange, replays it edited and pauses its queue', async ({ page }) => {
  const jobId: number = await db(async (c) => {
    const job = await c.query(
      `insert into job (queue, kind, payload, state, attempts, last_error, ordering_key, finished_at)
       values ($1, 'wms.instruction', '{"sku": "WRONG"}', 'dead', 1, 'the WMS answered HTTP 422', 'E2E-1', now())
       returning job_id`,
      [QUEUE],
    );
    const id = job.rows[0].job_id;
    await c.query(
      `insert into job_attempt (job_id, replay, attempt, started_at, outcome, request, response, error, duration_ms)
       values ($1, 0, 1, now(), 'dead', '{"url": "http://wms.example/in"}', '{"status": 422, "body": "unknown SKU WRONG"}',
               'the WMS answered HTTP 422', 15)`,
      [id],
    );
    return Number(id);
  });

  await signIn(page, 'integrator');
  await expect(page).toHaveURL(ROLES.integrator.home);
  await hydrated(page);
  const queueRow = page.locator(`#queues tr[data-queue="${QUEUE}"]`);
  await expect(queueRow).toBeVisible();

  // Only dead jobs of that queue: the filters apply without a reload.
  await page.locator('#job-filters').getByLabel('Queue').fill(QUEUE);
  await page.locator('#job-filters').getByLabel('Queue').press('Tab');
  await page.locator('#job-filters').getByLabel('State').selectOption('dead');
  const row = page.locator(`#jobs tr[data-job="${jobId}"]`);
  await expect(row).toBeVisible();
  await expect(page.locator('#jobs tbody tr')).toHaveCount(1);

  await row.getByRole('button', { name: 'Details' }).click();
  const detail = page.locator('#job-detail');
  await expect(detail).toContainText('the WMS answered HTTP 422');
  await detail.getByText('Response').click();
  await expect(detail).toContainText('unknown SKU WRONG');

  // Edit the payload, say why, replay: the job is back in line with the new payload.
  await detail.locator('textarea[name="payload"]').fill('{"sku": "E-COM08"}');
  await detail.getByLabel('Why').fill('SKU corrected with the customer');
  await detail.getByRole('button', { name: 'Replay' }).click();
  await expect(page.getByText('Replayed: the job is back in its queue.')).toBeVisible();
  const after = await db((c) => c.query('select state, payload from job where job_id = $1', [jobId]));
  expect(after.rows[0].state).toBe('pending');
  expect(after.rows[0].payload).toEqual({ sku: 'E-COM08' });

  // Pause the queue with a reason: the table says so.
  await queueRow.getByLabel('Reason').fill('WMS maintenance tonight');
  await queueRow.getByRole('button', { name: 'Pause' }).click();
  await expect(page.locator(`#queues tr[data-queue="${QUEUE}"]`)).toContainText('paused');
  await expect(page.locator(`#queues tr[data-queue="${QUEUE}"]`)).toContainText('WMS maintenance tonight');
  const audit = await db((c) =>
    c.query(`select action from audit_log where subject in ($1, $2) order by audit_log_id`, [`job:${jobId}`, `queue:${QUEUE}`]),
  );
  expect(audit.rows.map((r) => r.action)).toEqual(['job.edit_replay', 'queue.pause']);
});

test('an integrator follows an order across systems and folds a set-aside event again', async ({ page }) => {
  // An order of the demo history with its messages, and one of its events set aside as the
  // projector does when it cannot fold one.
  const { orderRef, eventId } = await db(async (c) => {
    const order = await c.query(
      `select e.order_ref, e.event_id, e.recorded_at from event e
       where e.order_ref is not null and e.correlation_id is not null
       order by e.recorded_at desc limit 1`,
    );
    const row = order.rows[0];
    await c.query(
      `insert into quarantined_event (event_id, recorded_at, order_ref, error)
       values ($1, $2, $3, 'the fold panicked: e2e')`,
      [row.event_id, row.recorded_at, row.order_ref],
    );
    return { orderRef: row.order_ref as string, eventId: row.event_id as string };
  });

  await signIn(page, 'integrator');
  await expect(page).toHaveURL(ROLES.integrator.home);
  await hydrated(page);

  const follow = page.locator('#follow-message');
  await follow.getByLabel('Correlation id, order or message id').fill(orderRef);
  await follow.getByRole('button', { name: 'Follow' }).click();
  const chain = page.locator('#chain');
  await expect(chain.locator('tr[data-kind="message"]').first()).toBeVisible();
  await expect(chain.locator('tr[data-kind="event"]').first()).toBeVisible();
  await expect(page.locator('#chain-ids')).toContainText('Correlation ids followed');

  const setAside = page.locator(`#quarantined tr[data-event="${eventId}"]`);
  await expect(setAside).toContainText('the fold panicked: e2e');
  await setAside.getByLabel('Why').fill('checked by hand');
  await setAside.getByRole('button', { name: 'Fold again' }).click();
  await expect(page.getByText('Back in the queue')).toBeVisible();
  await expect(page.locator(`#quarantined tr[data-event="${eventId}"]`)).toHaveCount(0);
  const released = await db((c) =>
    c.query(`select released_at from quarantined_event where event_id = $1`, [eventId]),
  );
  expect(released.rows[0].released_at).not.toBeNull();
});

test('an integrator is told by the banner, and an admin raises a rule threshold with a reason', async ({ browser }) => {
  // Dead letters on a queue of the test's own, and the alert the evaluator keeps for them (it
  // holds, so a round of the running worker only updates its value).
  const queue = `wms:e2e-alerts-${Date.now() % 100000}`;
  await db(async (c) => {
    await c.query(
      `insert into job (queue, kind, payload, state, finished_at)
       select $1, 'wms.instruction', '{}', 'dead', now() from generate_series(1, 2)`,
      [queue],
    );
    await c.query(
      `insert into alert (kind, subject, fired_value, last_value, message)
       values ('dead_letters', $1, 2, 2, $2) on conflict do nothing`,
      [queue, `2 dead jobs on queue ${queue}`],
    );
  });

  const integrator = await (await browser.newContext()).newPage();
  await signIn(integrator, 'integrator');
  await expect(integrator).toHaveURL(ROLES.integrator.home);
  await hydrated(integrator);
  const banner = integrator.locator('.alert-banner');
  await expect(banner).toContainText(/alerts? firing/);
  await banner.getByRole('link', { name: 'See alerts' }).click();
  await expect(integrator).toHaveURL('/integrations/alerts');
  await expect(integrator.locator(`#alerts-open tr[data-kind="dead_letters"]`, { hasText: queue })).toBeVisible();
  // Integrators read the rules; only admins change them.
  await expect(integrator.locator('#alert-rules button')).toHaveCount(0);

  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, 'admin');
  await expect(admin).toHaveURL(ROLES.admin.home);
  await admin.goto('/integrations/alerts');
  await hydrated(admin);
  const rule = admin.locator('#alert-rules tr[data-kind="dead_letters"]');
  await rule.getByLabel('Threshold (dead jobs)').fill('3');
  await rule.getByLabel('Why').fill('two dead letters are routine at night');
  await rule.getByRole('button', { name: 'Save' }).click();
  await expect(admin.getByText('Rule saved; it holds from the next check.')).toBeVisible();
  await expect(rule.locator('.rule-words')).toHaveText('fires at 3 dead jobs');
  const audit = await db((c) =>
    c.query(`select detail from audit_log where action = 'alert_rule.update' order by audit_log_id desc limit 1`),
  );
  expect(audit.rows[0].detail.after.threshold).toBe(3);
  expect(audit.rows[0].detail.why).toBe('two dead letters are routine at night');
});
