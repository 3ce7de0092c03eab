// Server process: a Troupe node (TCP or NATS transport) hosting a sink actor (counts `n`, answers
// `count`) and a counter actor (answers each `get` with the number served); may relay cluster events.

import { defineActor } from '../../../runtime/index.ts';
import { createNatsTransport } from '../../../runtime/cluster/nats-transport.ts';
import { createNode } from '../../../runtime/cluster/node.ts';
import { createTcpTransport } from '../../../runtime/cluster/tcp-transport.ts';
import { benchRegistry, wallMs, type CounterMsg, type ServerEvent, type SinkMsg, type TellMsg } from '../protocol.ts';
import { serverConfig, serveUntilParentGoes, untilGo } from '../server-process.ts';
import { tracingOptionsOf, type TracingChoice } from '../../observe/tracing-choice.ts';

/** How the parent configures this process (argv[2], JSON). */
export interface TroupeNodeConfig {
  readonly transport: 'tcp' | 'nats';
  readonly secret: string;
  readonly node: string;
  readonly system: string;
  readonly seeds: readonly string[];
  /** NATS transport only. */
  readonly natsUrl?: string;
  readonly subjectPrefix?: string;
  /** Relay every member-up/-down event to the parent as a {@link ServerEvent}. */
  readonly events?: boolean;
  /** Load, say `loaded`, and start the node only on the parent's `go` (so the start is not timed with the loading). */
  readonly waitForGo?: boolean;
  /** The observe suite's tracing setting for this node (default off). */
  readonly tracing?: TracingChoice;
}

const config = serverConfig<TroupeNodeConfig>();
if (config.waitForGo) await untilGo();
const transport = config.transport === 'tcp'
  ? createTcpTransport({ secret: config.secret })
  : createNatsTransport({ servers: config.natsUrl ?? '', secret: config.secret, subjectPrefix: config.subjectPrefix });
const node = await createNode({ name: config.system, node: config.node, transport, seeds: config.seeds, registry: benchRegistry(), tracing: tracingOptionsOf(config.tracing ?? 'off') });

if (config.events) {
  node.cluster.events$.subscribe((e) => {
    if (e.type === 'member-up' || e.type === 'member-down') {
      process.send?.({ type: 'event', event: e.type, node: e.member.node, atMs: wallMs() } satisfies ServerEvent);
    }
  });
}

/** The last message the sink received, kept where V8 cannot drop it. */
let last: TellMsg | undefined;

const sink = node.system.spawn(defineActor<SinkMsg, { count: number }>({
  name: 'sink',
  init: () => ({ count: 0 }),
  receive: (s, m) => {
    if (m.type === 'n') { last = m; s.count++; return s; }
    m.replyTo.tell({ count: s.count, last: last?.v ?? -1 });
    s.count = 0;
    return s;
  },
}), 'sink');

const counter = node.system.spawn(defineActor<CounterMsg, { served: number }>({
  name: 'counter',
  init: () => ({ served: 0 }),
  receive: (s, m) => { s.served++; m.replyTo.tell(s.served); return s; },
}), 'counter');

await node.cluster.whenUp();
serveUntilParentGoes({ type: 'ready', endpoint: node.endpoint, refs: { sink: String(sink), counter: String(counter) } }, () => node.stop());
