import { test, expect } from '@playwright/test';
import { hydrated, signIn, expectSignedInAs } from './helpers';

test('the page hydrates: the password toggle works in the browser', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') violations.push(`${msg.text()} ${msg.location().url}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) violations.push(`${res.status()} ${res.url()}`);
  });
  await page.goto('/login');
  await hydrated(page);
  const password = page.getByLabel('Password', { exact: true });
  await expect(password).toHaveAttribute('type', 'password');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(password).toHaveAttribute('type', 'text');
  await page.getByRole('button', { name: 'Hide' }).click();
  await expect(password).toHaveAttribute('type', 'password');
  expect(violations, 'no CSP violations or hydration errors').toEqual([]);
});

test('an admin adds an account and sees it listed without a reload', async ({ page }) => {
  await signIn(page, 'admin');
  await expectSignedInAs(page, 'admin');
  await page.locator('nav[aria-label="Main"]').getByRole('link', { name: 'Admin' }).click();
  await hydrated(page);
  const code = `E2E${Date.now() % 100000}`;
  const form = page.locator('#create-account');
  await form.getByLabel('Code (e.g. ACME)').fill(code);
  await form.getByLabel('Name').fill('End To End Ltd');
  await form.getByRole('button', { name: 'Add account' }).click();
  await expect(page.getByText('Account added.')).toBeVisible();
  await expect(page.getByRole('cell', { name: code })).toBeVisible();
});
