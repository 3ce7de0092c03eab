// Sample 05 — location transparency across processes. Teaches: spawnLocalCluster (three node
// processes on loopback TCP), the receptionist (service discovery), a router over a service key,
// remote death watch, and a router moving to the survivor when the serving node is killed.

import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnLocalCluster } from '../runtime/index.ts';

/** Polls `read` until `ok` (the cluster runs on real time), at most 10 s. */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const end = Date.now() + 10_000;
  let v = await read();
  while (!ok(v) && Date.now() < end) { await new Promise((r) => setTimeout(r, 20)); v = await read(); }
  return v;
}

export async function main(log: (line: string) => void = console.log): Promise<void> {
  const entry = fileURLToPath(new URL('./nodes/pricing-node.ts', import.meta.url));
  const cluster = await spawnLocalCluster({ nodes: 3, entry, name: 'shop', stdio: 'ignore' });
  try {
    log(`cluster up: ${cluster.nodes.map((n) => n.name).join(', ')}`);
    const n1 = cluster.node('n1');
    const found = await until(() => n1.call<string[]>('instances'), (v) => v.length === 2);
    log(`n1 found pricing on: ${found.join(', ')}`);
    for (const i of [1, 2]) {
      const q = await n1.call<{ cents: number; servedBy: string }>('quote', `sku-${i}`);
      log(`quote ${i}: ${(q.cents / 100).toFixed(2)} EUR from ${q.servedBy}`);
    }
    log('killing n2 (SIGKILL)');
    await cluster.node('n2').kill();
    const seen = await until(() => n1.call<string[]>('seen'), (v) => v.length > 0);
    log(`n1 saw ${seen.join('; ')}`);
    log(`pricing now on: ${(await until(() => n1.call<string[]>('instances'), (v) => v.length === 1)).join(', ')}`);
    for (const i of [3, 4]) {
      const q = await n1.call<{ cents: number; servedBy: string }>('quote', `sku-${i}`);
      log(`quote ${i}: ${(q.cents / 100).toFixed(2)} EUR from ${q.servedBy}`);
    }
  } finally {
    await cluster.stop();
  }
  log('stopped');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/* Output:
cluster up: n1, n2, n3
n1 found pricing on: n2, n3
quote 1: 42.00 EUR from n2
quote 2: 42.00 EUR from n3
killing n2 (SIGKILL)
n1 saw /user/pricing on n2 terminated: node-down
pricing now on: n3
quote 3: 42.00 EUR from n3
quote 4: 42.00 EUR from n3
stopped
*/
