import { test, expect } from '@playwright/test';
import { expectSignedInAs, hydrated } from './helpers';

test('a next= that browsers would read as another site is refused after sign-in', async ({ page }) => {
  // `%09` is a tab: browsers drop it, so `/\t/evil.example` would be `//evil.example` to them.
  for (const next of ['/%09/evil.example', '//evil.example', '/%5Cevil.example', 'https://evil.example']) {
    await page.context().clearCookies();
    await page.goto(`/login?next=${next}`);
    await hydrated(page);
    await page.getByLabel('Email').fill('agent@demo.milepost.test');
    await page.getByLabel('Password', { exact: true }).fill('milepost-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectSignedInAs(page, 'agent');
    expect(new URL(page.url()).host, next).toBe(new URL(test.info().project.use.baseURL!).host);
  }
});

test('no page breaks the Content Security Policy', async ({ page }) => {
  // Eight pages, each loaded and hydrated: on a loaded 2-core CI machine that outlasts the default 30 s.
  test.slow();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (load|execute|apply)/i.test(m.text())) violations.push(m.text());
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      ((window as any).__csp ??= []).push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill('admin@demo.milepost.test');
  await page.getByLabel('Password', { exact: true }).fill('milepost-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expectSignedInAs(page, 'admin');
  for (const path of ['/dashboard', '/orders', '/exceptions', '/integrations', '/reports', '/admin', '/admin/sla', '/account']) {
    await page.goto(path);
    await hydrated(page);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const seen = await page.evaluate(() => (window as any).__csp ?? []);
    violations.push(...seen.map((v: string) => `${path}: ${v}`));
  }
  expect(violations).toEqual([]);
});
