// What both browser drivers share: waiting for the page to publish a result in a global.

/** The value of the page's global `name` (as JSON) once it is set, asking every 200 ms with
 *  `evaluate` (which runs a JS expression in the page and gives back its string value). */
export async function waitForGlobal(name: string, ms: number, evaluate: (expression: string) => Promise<string | undefined>): Promise<any> {
  return waitForValue(`JSON.stringify(window[${JSON.stringify(name)}] ?? null)`, ms, evaluate, `set ${name}`);
}

/** The value (JSON) of a JS expression that gives a JSON string, or 'null' while not there yet. */
export async function waitForValue(expression: string, ms: number, evaluate: (expression: string) => Promise<string | undefined>, what = `answer ${expression}`): Promise<any> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const v = await evaluate(expression).catch(() => undefined); // a page between two loads
    if (v && v !== 'null') return JSON.parse(v);
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`the page did not ${what} within ${ms} ms`);
}
