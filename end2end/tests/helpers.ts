import { expect, Page } from '@playwright/test';

export const DEMO_PASSWORD = 'milepost-demo';

export type RoleName = 'admin' | 'integrator' | 'agent' | 'account_manager' | 'customer';

/** Each role's home and exactly the navigation it must see (DESIGN §1). */
export const ROLES: Record<RoleName, { home: string; nav: string[] }> = {
  admin: { home: '/dashboard', nav: ['Dashboard', 'Orders', 'Exceptions', 'Integrations', 'Reports', 'Admin'] },
  integrator: { home: '/integrations', nav: ['Integrations'] },
  agent: { home: '/exceptions', nav: ['Dashboard', 'Orders', 'Exceptions'] },
  account_manager: { home: '/reports', nav: ['Dashboard', 'Orders', 'Reports'] },
  customer: { home: '/portal', nav: ['My orders'] },
};

/** Waits until the page has hydrated: clicks before that would be lost. */
export async function hydrated(page: Page) {
  await page.waitForSelector('body[data-hydrated="true"]');
}

export async function signIn(page: Page, role: RoleName, password = DEMO_PASSWORD) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(`${role}@demo.milepost.test`);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function navLabels(page: Page): Promise<string[]> {
  return page.locator('nav[aria-label="Main"] a').allInnerTexts();
}

export async function expectSignedInAs(page: Page, role: RoleName) {
  await expect(page).toHaveURL(ROLES[role].home);
  await expect(page.locator('nav[aria-label="Main"]')).toBeVisible();
  expect(await navLabels(page)).toEqual(ROLES[role].nav);
}
