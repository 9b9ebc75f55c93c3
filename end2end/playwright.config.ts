import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The server under test: the release `viva` binary (with the site embedded), on its own port
// and a fresh data directory. `.ci/run` sets VIVA_BIN; the default is the usual target dir.
const bin = process.env.VIVA_BIN ?? join(__dirname, '..', 'target', 'release', 'viva');
const port = Number(process.env.VIVA_E2E_PORT ?? 3917);
const dataDir = mkdtempSync(join(tmpdir(), 'viva-e2e-'));
export const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
  webServer: {
    command: `"${bin}" --addr 127.0.0.1:${port} --data-dir "${dataDir}"`,
    // Wait for readiness: the database answers.
    url: `${baseURL}/readyz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
