// WebKit (Debian's WebKitGTK MiniBrowser, the engine Safari is built on) driven over classic
// WebDriver (HTTP) by WebKitWebDriver, in a virtual X display (xvfb-run): the MiniBrowser
// has no headless mode. Same few calls as the Firefox driver.
import { spawn, ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { waitForGlobal, waitForValue } from './poll';

export const MINIBROWSER = process.env.MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export class WebKit {
  private constructor(private proc: ChildProcess, private base: string, private session: string) {}

  /** `args`: extra MiniBrowser options, e.g. `--enable-mock-capture-devices=true`. */
  static async launch(args: string[] = []): Promise<WebKit> {
    const port = await freePort();
    // Its own process group, so closing ends the X server too.
    const proc = spawn('xvfb-run', ['-a', 'WebKitWebDriver', `--port=${port}`], { stdio: 'ignore', detached: true });
    const base = `http://127.0.0.1:${port}`;
    let session = '';
    for (let i = 0; i < 100 && !session; i++) {
      try {
        const r = await fetch(`${base}/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation', ...args] } } } }),
        });
        const v = (await r.json()).value;
        if (!v.sessionId) throw new Error(`WebKitWebDriver refused a session: ${JSON.stringify(v)}`);
        session = v.sessionId;
      } catch (e) {
        if (String(e).includes('refused a session')) throw e;
        await new Promise((r) => setTimeout(r, 200)); // the driver is still starting
      }
    }
    if (!session) throw new Error('WebKitWebDriver did not start in 20 s');
    return new WebKit(proc, base, session);
  }

  private async call(method: string, path: string, body?: object): Promise<any> {
    const r = await fetch(`${this.base}/session/${this.session}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
    const v = (await r.json()).value;
    if (v && v.error) throw new Error(`${path}: ${v.error} ${v.message}`);
    return v;
  }

  async goto(url: string) {
    await this.call('POST', '/url', { url });
  }

  /** The page's value of a global, as JSON, once it is set (or throws after `ms`). */
  async waitFor(name: string, ms: number): Promise<any> {
    return waitForGlobal(name, ms, (expression) => this.call('POST', '/execute/sync', { script: `return ${expression}`, args: [] }));
  }

  /** The JSON value of `expression` (a JS expression giving a JSON string, or 'null' until
   *  what is awaited is there), once it is not null (or throws after `ms`). */
  async waitUntil(expression: string, ms: number): Promise<any> {
    return waitForValue(expression, ms, (e) => this.call('POST', '/execute/sync', { script: `return ${e}`, args: [] }));
  }

  async close() {
    await this.call('DELETE', '').catch(() => {});
    try {
      process.kill(-this.proc.pid!);
    } catch {}
  }
}
