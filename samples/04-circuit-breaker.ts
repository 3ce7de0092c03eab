// Sample 04 — a circuit breaker guarding asks to a flaky payments actor, on virtual time.
// Teaches: createCircuitBreaker (an xstate machine on the system scheduler), state$ to observe
// it, fast rejection while open, and a half-open probe that closes it again.

import { pathToFileURL } from 'node:url';
import { createCircuitBreaker, defineActor, isTroupeError, type ActorRef } from '../runtime/index.ts';
import { createTestSystem } from '../runtime/testing.ts';

type PaymentMsg =
  | { type: 'charge'; cents: number; replyTo: ActorRef<'ok' | 'declined'> }
  | { type: 'set-outage'; down: boolean };

const payments = defineActor<PaymentMsg, { down: boolean }>({
  name: 'payments',
  init: () => ({ down: false }),
  receive: (state, msg) => {
    if (msg.type === 'set-outage') return { down: msg.down };
    if (!state.down) msg.replyTo.tell('ok'); // while down it never answers: the ask times out
    return state;
  },
});

export async function main(log: (line: string) => void = console.log): Promise<void> {
  const kit = createTestSystem({ name: 'breaker-sample' });
  const ref = kit.spawn(payments, 'payments');
  const breaker = createCircuitBreaker({ scheduler: kit.scheduler, trip: { kind: 'consecutive', failures: 3 }, openMs: 10_000 });
  breaker.state$.subscribe((c) => log(`t=${c.atMs}ms breaker ${c.from} → ${c.to} (${c.reason})`));

  const charge = async (n: number): Promise<void> => {
    const call = breaker.execute(() => ref.ask<'ok' | 'declined'>((replyTo) => ({ type: 'charge', cents: 100 * n, replyTo }), { timeoutMs: 1_000 }));
    const settled = call.then((r) => `ok: ${r}`, (e: unknown) => (isTroupeError(e) ? e.code : String(e)));
    await kit.runUntil(() => false, 1_000); // let a second of virtual time pass
    log(`t=${kit.now()}ms charge ${n}: ${await settled}`);
  };

  await charge(1);
  ref.tell({ type: 'set-outage', down: true });
  for (const n of [2, 3, 4, 5]) await charge(n);
  ref.tell({ type: 'set-outage', down: false });
  await kit.advance(9_000); // the breaker opened at 4 s for 10 s
  await charge(6); // the probe
  await charge(7);
  await kit.terminate();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/* Output:
t=1000ms charge 1: ok: ok
t=2000ms charge 2: ask-timeout
t=3000ms charge 3: ask-timeout
t=4000ms breaker closed → open (consecutive-failures)
t=4000ms charge 4: ask-timeout
t=5000ms charge 5: circuit-open
t=14000ms breaker open → half-open (open-elapsed)
t=14000ms breaker half-open → closed (probes-succeeded)
t=15000ms charge 6: ok: ok
t=16000ms charge 7: ok: ok
*/
