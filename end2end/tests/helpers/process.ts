import { ChildProcess } from 'node:child_process';

// Processes a spec starts for itself (its own Viva node, a local Stripe server): waiting until
// one answers, and stopping one.

// How long such a process may take to answer. A node's start (opening its database) beside
// another spec's browser took over 20 s at the slowest 2-core machine kind's speed (emulated
// with `bench/slow-machine.sh`, 2026-12-06).
export const START_BUDGET_MS = 60_000;

/** Resolves once `url` answers 200; throws, naming `what` and the budget, if it does not in time. */
export async function answering(url: string, what: string) {
  const deadline = Date.now() + START_BUDGET_MS;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer ${url} within ${START_BUDGET_MS / 1000} s`);
}

/** Stops a process with SIGTERM and waits until it has exited (at once if it already has). */
export async function stopped(p: ChildProcess | undefined) {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
}
