import { test, expect } from '@playwright/test';
import { expectSignedInAs, hydrated, signIn } from './helpers';

test('an admin adds a user, resets their password, and the user signs in with it', async ({ page }) => {
  await signIn(page, 'admin');
  await expectSignedInAs(page, 'admin');
  await page.locator('nav[aria-label="Main"]').getByRole('link', { name: 'Admin' }).click();
  await hydrated(page);

  const email = `e2e-${Date.now()}@example.com`;
  const create = page.locator('#create-user');
  await create.getByLabel('Email').fill(email);
  await create.getByLabel('Name').fill('Eve Twoe');
  await create.getByLabel('Role').selectOption('agent');
  await create.getByLabel(/Initial password/).fill('first password 1');
  await create.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByText('User added.')).toBeVisible();
  await expect(page.getByRole('cell', { name: email })).toBeVisible();

  const reset = page.locator('#reset-password');
  await reset.getByLabel('User').selectOption({ label: `Eve Twoe (${email})` });
  await reset.getByLabel(/New password/).fill('second password 2');
  await reset.getByRole('button', { name: 'Reset password' }).click();
  await expect(page.getByText('Password reset.')).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('second password 2');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL('/exceptions');
});
