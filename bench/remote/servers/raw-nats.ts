// Server process of the nats.js baselines: a subscriber that JSON.parses and counts `<prefix>.n`
// messages and answers `<prefix>.count`, and a responder that answers `<prefix>.get` with the gets served.

import { connect } from 'nats';
import type { TellMsg } from '../protocol.ts';
import { serverConfig, serveUntilParentGoes } from '../server-process.ts';

/** How the parent configures this process (argv[2], JSON). */
export interface RawNatsConfig {
  readonly natsUrl: string;
  /** Subject prefix unique to the measuring process. */
  readonly prefix: string;
}

const { natsUrl, prefix } = serverConfig<RawNatsConfig>();
const nc = await connect({ servers: natsUrl });
const text = (data: Uint8Array): string => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');

/** The last message received, kept where V8 cannot drop it. */
let last: TellMsg | undefined;
let count = 0;
let served = 0;

nc.subscribe(`${prefix}.n`, { callback: (_e, msg) => { last = JSON.parse(text(msg.data)) as TellMsg; count++; } });
nc.subscribe(`${prefix}.count`, {
  callback: (_e, msg) => {
    msg.respond(Buffer.from(JSON.stringify({ count, last: last?.v ?? -1 })));
    count = 0;
  },
});
nc.subscribe(`${prefix}.get`, {
  callback: (_e, msg) => {
    JSON.parse(text(msg.data));
    msg.respond(Buffer.from(JSON.stringify(++served)));
  },
});
await nc.flush();
serveUntilParentGoes({ type: 'ready', endpoint: prefix, refs: {} }, () => nc.close());
