import { defineConfig } from '@playwright/test';

// The Makefile builds the site, seeds the demo users into E2E_DATABASE_URL and sets MILEPOST_BIN.
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL,
    browserName: 'chromium',
    trace: 'retain-on-failure',
    launchOptions: {
      // Debian's Chromium: Playwright's own browser download is not reachable here.
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    },
  },
  webServer: {
    command: `${process.env.MILEPOST_BIN ?? '../target/debug/milepost'} serve`,
    cwd: '..',
    url: `${baseURL}/readyz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? '',
      MILEPOST_LISTEN_ADDR: `127.0.0.1:${port}`,
      MILEPOST_PUBLIC_URL: baseURL,
      // The release smoke (scripts/test.sh) serves a release directory's own site.
      LEPTOS_SITE_ROOT: process.env.E2E_SITE_ROOT ?? 'target/site',
      LEPTOS_OUTPUT_NAME: 'milepost',
      LEPTOS_SITE_PKG_DIR: 'pkg',
      LEPTOS_ENV: 'PROD',
      MILEPOST_LOG: 'warn',
    },
  },
});
