import { test, expect } from '@playwright/test';
import { ROLES, RoleName, expectSignedInAs, hydrated, signIn } from './helpers';

for (const role of Object.keys(ROLES) as RoleName[]) {
  test(`${role} signs in, lands on their home and sees only their navigation`, async ({ page }) => {
    await signIn(page, role);
    await expectSignedInAs(page, role);
  });
}

test('the session survives a reload', async ({ page }) => {
  await signIn(page, 'agent');
  await expectSignedInAs(page, 'agent');
  await page.reload();
  await expectSignedInAs(page, 'agent');
  // The signed-in name in the header (the exception queue also lists people to assign to).
  await expect(page.locator('.user-name')).toContainText('Alma Agent');
});

test('signing out returns to the sign-in page and the pages close again', async ({ page }) => {
  await signIn(page, 'agent');
  await expectSignedInAs(page, 'agent');
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL('/login');
  await page.goto('/exceptions');
  await expect(page).toHaveURL(/\/login\?next=\/exceptions/);
});

test('a wrong password shows the one message for every failed sign-in', async ({ page }) => {
  await signIn(page, 'integrator', 'not the password');
  await expect(page.getByRole('alert')).toHaveText('invalid email or password');
  await expect(page).toHaveURL(/\/login/);
});

test('a customer opening an admin URL sees 403', async ({ page }) => {
  await signIn(page, 'customer');
  await expectSignedInAs(page, 'customer');
  const response = await page.goto('/admin');
  expect(response?.status()).toBe(403);
  await expect(page.getByRole('heading', { name: '403: not for your role' })).toBeVisible();
});

test('signing in from a deep link returns to it', async ({ page }) => {
  await page.goto('/orders');
  await expect(page).toHaveURL(/\/login\?next=\/orders/);
  await hydrated(page);
  await page.getByLabel('Email').fill('agent@demo.milepost.test');
  await page.getByLabel('Password', { exact: true }).fill('milepost-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL('/orders');
});

test('a deep link the role may not open leads to the home page instead', async ({ page }) => {
  await page.goto('/admin');
  await expect(page).toHaveURL(/\/login\?next=\/admin/);
  await hydrated(page);
  await page.getByLabel('Email').fill('customer@demo.milepost.test');
  await page.getByLabel('Password', { exact: true }).fill('milepost-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL('/portal');
});
