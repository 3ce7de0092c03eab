// Imported first by every case that needs a NATS server: when none answers, importing the case
// fails the way a missing module does, so the harness marks the case SKIPPED, not FAILED.

import { connect as connectTcp } from 'node:net';
import { natsUrl } from './workload.ts';

/** Resolves true when something accepts a TCP connection at the NATS URL's host:port within 10 s (2 s falsely skipped cases on a loaded machine). */
function reachable(url: string): Promise<boolean> {
  const u = new URL(url.replace(/^nats:/, 'http:'));
  return new Promise((resolve) => {
    const socket = connectTcp({ host: u.hostname, port: Number(u.port || 4222) });
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok); };
    socket.setTimeout(10_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const url = natsUrl();
if (!(await reachable(url))) {
  // The harness (bench/harness/child.ts) reports an import failure with this code as `skipped`.
  const e = new Error(`no NATS server at ${url}: NATS case skipped (start one with \`nats-server -a 127.0.0.1 -p 14222\` or set TROUPE_NATS_URL)`);
  (e as Error & { code: string }).code = 'ERR_MODULE_NOT_FOUND';
  throw e;
}

/** The NATS URL that answered. */
export const NATS_URL = url;
