import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The server under test: the release `viva` binary (with the site embedded), on its own port
// and a fresh data directory. `.ci/run` sets VIVA_BIN; the default is the usual target dir.
const bin = process.env.VIVA_BIN ?? join(__dirname, '..', 'target', 'release', 'viva');
const port = Number(process.env.VIVA_E2E_PORT ?? 3917);
// Made once by the runner; its workers load this file again and must find the same folder
// (the tests read the administrator setup token the server writes there).
const dataDir = process.env.VIVA_E2E_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'viva-e2e-'));
process.env.VIVA_E2E_DATA_DIR = dataDir;
export const baseURL = `http://127.0.0.1:${port}`;
// Local servers that speak the real protocols the app talks to (see servers/README.md).
const smtpPort = 3925, mailApiPort = 3926, oidcPort = 3927;

export default defineConfig({
  testDir: './tests',
  // A test's own budget. The longest journeys without one of their own (four provider logins and
  // a sign-up; a change of address with two codes) take 19-23 s on a 2-core machine running two
  // files at once: 60 s leaves room for a slower CI machine.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // Two spec files at a time (each file's tests in order, in one worker): most tests wait on
  // the server, the microphone's real-time audio or another browser, not on the CPU. The files
  // share the server and the mail sink, so no test may change what another sees (failNext takes
  // the address it refuses). VIVA_E2E_WORKERS=1 runs them one at a time.
  fullyParallel: false,
  workers: Number(process.env.VIVA_E2E_WORKERS ?? 2),
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
  webServer: [
    {
      // E-mail: an SMTP server that keeps what it receives and shows it over HTTP.
      command: `node servers/smtp-sink.mjs`,
      env: { SMTP_PORT: String(smtpPort), HTTP_PORT: String(mailApiPort) },
      url: `http://127.0.0.1:${mailApiPort}/healthz`,
      timeout: 30_000,
      reuseExistingServer: false,
    },
    {
      // An OpenID provider (panva/oidc-provider) with one client for the app.
      command: `node servers/oidc-provider.mjs`,
      env: { OIDC_PORT: String(oidcPort), OIDC_REDIRECT_URIS: `${baseURL}/auth/oidc/sso/callback` },
      url: `http://127.0.0.1:${oidcPort}/.well-known/openid-configuration`,
      timeout: 30_000,
      reuseExistingServer: false,
    },
    {
      command: [
        `"${bin}" --addr 127.0.0.1:${port} --data-dir "${dataDir}"`,
        `--smtp-url smtp://127.0.0.1:${smtpPort}`,
        // The tests stand in for a local proxy: rate limits count the address in X-Forwarded-For
        // (see newUser in tests/helpers/account.ts).
        '--trusted-proxy 127.0.0.1',
        // The sentence-embedding model, when .ci/run fetched it (relevance by meaning).
        process.env.VIVA_MODELS_DIR ? `--models-dir "${process.env.VIVA_MODELS_DIR}"` : '',
        `--oidc-issuer http://127.0.0.1:${oidcPort} --oidc-client-id viva --oidc-client-secret viva-secret --oidc-name "Test SSO"`,
      ].join(' '),
      // Wait for readiness: the database answers.
      url: `${baseURL}/readyz`,
      timeout: 60_000,
      reuseExistingServer: false,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
