// What both browser drivers share: waiting for the page to publish a result in a global.

/** The value of the page's global `name` (as JSON) once it is set, asking every 200 ms with
 *  `evaluate` (which runs a JS expression in the page and gives back its string value). */
export async function waitForGlobal(name: string, ms: number, evaluate: (expression: string) => Promise<string | undefined>): Promise<any> {
  const expression = `JSON.stringify(window[${JSON.stringify(name)}] ?? null)`;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const v = await evaluate(expression);
    if (v && v !== 'null') return JSON.parse(v);
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`the page did not set ${name} within ${ms} ms`);
}
