// Debian's Firefox ESR driven over WebDriver BiDi with a few commands. Playwright's own
// Firefox needs a browser download, and its BiDi client (1.65) sends a command this Firefox
// does not know (emulation.setMediaFeaturesOverride), so the browser tests talk BiDi here.
import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The `ws` client Playwright bundles (no extra dependency).
import { ws as WebSocket } from 'playwright-core/lib/utilsBundle';
import { waitForGlobal, waitForValue } from './poll';

export const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';

export class Firefox {
  private id = 0;
  private waiting = new Map<number, (m: any) => void>();
  private constructor(private proc: ChildProcess, private sock: any, private profile: string, public context: string) {}

  /** `prefs`: extra preferences for the profile, e.g. `{ 'media.navigator.streams.fake': true }`. */
  static async launch(prefs: Record<string, string | number | boolean> = {}): Promise<Firefox> {
    const profile = mkdtempSync(join(tmpdir(), 'viva-firefox-'));
    const all = { 'browser.shell.checkDefaultBrowser': false, 'datareporting.policy.dataSubmissionEnabled': false, ...prefs };
    writeFileSync(join(profile, 'user.js'), Object.entries(all).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(''));
    const proc = spawn(FIREFOX, ['--headless', '--no-remote', '--remote-debugging-port=0', '--profile', profile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let log = '';
      const look = (d: Buffer) => {
        log += d;
        const m = log.match(/WebDriver BiDi listening on (ws:\/\/\S+)/);
        if (m) resolve(m[1]);
      };
      proc.stderr!.on('data', look);
      proc.stdout!.on('data', look);
      proc.on('exit', (code) => reject(new Error(`${FIREFOX} exited (${code}): ${log}`)));
      setTimeout(() => reject(new Error(`${FIREFOX} did not start in 30 s: ${log}`)), 30_000);
    });
    const sock = new WebSocket(`${url}/session`);
    await new Promise((resolve, reject) => { sock.on('open', resolve); sock.on('error', reject); });
    const ff = new Firefox(proc, sock, profile, '');
    sock.on('message', (d: Buffer) => {
      const m = JSON.parse(String(d));
      if (m.id && ff.waiting.has(m.id)) {
        ff.waiting.get(m.id)!(m);
        ff.waiting.delete(m.id);
      }
    });
    await ff.send('session.new', { capabilities: {} });
    const tree = await ff.send('browsingContext.getTree', {});
    ff.context = tree.contexts[0].context;
    return ff;
  }

  send(method: string, params: object): Promise<any> {
    const id = ++this.id;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (m) => (m.type === 'error' ? reject(new Error(`${method}: ${m.error} ${m.message}`)) : resolve(m.result)));
      this.sock.send(JSON.stringify({ id, method, params }));
    });
  }

  async goto(url: string) {
    await this.send('browsingContext.navigate', { context: this.context, url, wait: 'complete' });
  }

  /** The page's value of a global, as JSON, once it is set (or throws after `ms`). */
  async waitFor(name: string, ms: number): Promise<any> {
    return waitForGlobal(name, ms, async (expression) =>
      (await this.send('script.evaluate', { expression, target: { context: this.context }, awaitPromise: false })).result?.value);
  }

  /** The JSON value of `expression` (a JS expression giving a JSON string, or 'null' until
   *  what is awaited is there), once it is not null (or throws after `ms`). */
  async waitUntil(expression: string, ms: number): Promise<any> {
    return waitForValue(expression, ms, async (e) =>
      (await this.send('script.evaluate', { expression: e, target: { context: this.context }, awaitPromise: false })).result?.value);
  }

  /** Sets a cookie (as Playwright gives it) for the current page's site. */
  async setCookie(c: { name: string; value: string; domain: string; path: string; httpOnly: boolean; secure: boolean; sameSite: string }) {
    await this.send('storage.setCookie', {
      cookie: { name: c.name, value: { type: 'string', value: c.value }, domain: c.domain, path: c.path, httpOnly: c.httpOnly, secure: c.secure, sameSite: c.sameSite.toLowerCase() },
    });
  }

  async close() {
    await this.send('browser.close', {}).catch(() => {});
    this.proc.kill();
    rmSync(this.profile, { recursive: true, force: true });
  }
}
