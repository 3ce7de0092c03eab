// The catalogue of the runtime's metric families: every name, type, unit and label set Troupe
// exports on /metrics, created once per system registry. Labels are bounded on purpose: an actor
// class (the definition's `name`), a reason, a topic/consumer, a journal or saga name.

import type { Registry } from 'prom-client';
import { CounterFamily, GaugeFamily, HistogramFamily, registerFamily } from './metric-family.ts';

/** Every runtime family of one system. */
export interface RuntimeFamilies {
  readonly actorsAlive: GaugeFamily;
  readonly processed: CounterFamily;
  readonly processing: HistogramFamily;
  readonly mailboxDepth: GaugeFamily;
  readonly mailboxHighWater: GaugeFamily;
  readonly restarts: CounterFamily;
  readonly deadLetters: CounterFamily;
  readonly asks: CounterFamily;
  readonly askLatency: HistogramFamily;
  readonly askTimeouts: CounterFamily;
  readonly members: GaugeFamily;
  readonly unreachable: GaugeFamily;
  readonly linkBytesSent: CounterFamily;
  readonly linkBytesReceived: CounterFamily;
  readonly linkFramesSent: CounterFamily;
  readonly linkFramesReceived: CounterFamily;
  readonly loopDelayP50: GaugeFamily;
  readonly loopDelayP99: GaugeFamily;
  readonly loopDelayMax: GaugeFamily;
  readonly loopUtilization: GaugeFamily;
  readonly heapUsed: GaugeFamily;
  readonly heapTotal: GaugeFamily;
  readonly busPublished: CounterFamily;
  readonly busDelivered: CounterFamily;
  readonly busRedelivered: CounterFamily;
  readonly busDeadLettered: CounterFamily;
  readonly busDeadLetterSize: GaugeFamily;
  readonly busLagEvents: GaugeFamily;
  readonly busLagSeconds: GaugeFamily;
  readonly journalAppends: CounterFamily;
  readonly journalEventsAppended: CounterFamily;
  readonly journalAppendLatency: HistogramFamily;
  readonly journalFsync: HistogramFamily;
  readonly journalBytes: CounterFamily;
  readonly journalReplayed: CounterFamily;
  readonly journalOpen: GaugeFamily;
  readonly sagasActive: GaugeFamily;
  readonly sagasCompleted: CounterFamily;
  readonly sagasCompensated: CounterFamily;
  readonly sagasCompensationFailed: CounterFamily;
  readonly sagaDuration: HistogramFamily;
}

const A = ['actor_class'] as const;
const TC = ['topic', 'consumer'] as const;
const J = ['journal'] as const;
const S = ['saga'] as const;
const FSYNC_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const SAGA_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600];

/** Creates and registers every runtime family on `registry`. */
export function createRuntimeFamilies(registry: Registry): RuntimeFamilies {
  const c = (name: string, help: string, labels: readonly string[] = []) => registerFamily(registry, new CounterFamily(name, help, labels));
  const g = (name: string, help: string, labels: readonly string[] = []) => registerFamily(registry, new GaugeFamily(name, help, labels));
  const h = (name: string, help: string, labels: readonly string[], buckets?: readonly number[]) => registerFamily(registry, new HistogramFamily(name, help, labels, buckets));
  return {
    actorsAlive: g('troupe_actors_alive', 'Live actors, by actor class (the definition name).', A),
    processed: c('troupe_actor_messages_processed_total', 'User messages taken from mailboxes and handled, by actor class.', A),
    processing: h('troupe_actor_processing_seconds', 'Handler time per message, by actor class: sampled turns timed and divided by their messages (an async handler to its settlement), each counted for the messages it stands for.', A),
    mailboxDepth: g('troupe_actor_mailbox_messages', 'Messages waiting in the mailboxes of the class, summed.', A),
    mailboxHighWater: g('troupe_actor_mailbox_high_water_messages', 'The highest mailbox depth any actor of the class has reached.', A),
    restarts: c('troupe_actor_restarts_total', 'Restarts by supervision, by actor class.', A),
    deadLetters: c('troupe_actor_dead_letters_total', 'Messages that could not be delivered, by the recipient\'s actor class and reason.', ['actor_class', 'reason']),
    asks: c('troupe_actor_asks_total', 'Asks sent, by the target\'s actor class ("remote" for another node, "ask" for an ask reply address).', A),
    askLatency: h('troupe_actor_ask_seconds', 'Time from an ask to its reply, by the target\'s actor class: sampled asks, each counted for the asks it stands for.', A),
    askTimeouts: c('troupe_actor_ask_timeouts_total', 'Asks that failed with ask-timeout, by the target\'s actor class.', A),
    members: g('troupe_cluster_members', 'Cluster members this node knows, by status.', ['status']),
    unreachable: g('troupe_cluster_unreachable_members', 'Members this node\'s failure detector suspects.'),
    linkBytesSent: c('troupe_link_sent_bytes_total', 'Bytes of frames handed to the transport.'),
    linkBytesReceived: c('troupe_link_received_bytes_total', 'Bytes of frames received from peers.'),
    linkFramesSent: c('troupe_link_sent_frames_total', 'Frames handed to the transport.'),
    linkFramesReceived: c('troupe_link_received_frames_total', 'Frames received from peers.'),
    loopDelayP50: g('troupe_node_event_loop_delay_p50_seconds', 'Median event-loop delay since the previous scrape.'),
    loopDelayP99: g('troupe_node_event_loop_delay_p99_seconds', '99th percentile event-loop delay since the previous scrape.'),
    loopDelayMax: g('troupe_node_event_loop_delay_max_seconds', 'Largest event-loop delay since the previous scrape.'),
    loopUtilization: g('troupe_node_event_loop_utilization_ratio', 'Share of time the event loop was busy since the previous scrape (0–1).'),
    heapUsed: g('troupe_node_heap_used_bytes', 'V8 heap in use.'),
    heapTotal: g('troupe_node_heap_total_bytes', 'V8 heap allocated.'),
    busPublished: c('troupe_bus_published_events_total', 'Events published on this node, by topic.', ['topic']),
    busDelivered: c('troupe_bus_delivered_events_total', 'Deliveries to handlers (first and redeliveries), by topic and consumer.', TC),
    busRedelivered: c('troupe_bus_redelivered_events_total', 'Deliveries after a failure or timeout, by topic and consumer.', TC),
    busDeadLettered: c('troupe_bus_dead_lettered_events_total', 'Events moved to the dead-letter stream, by topic and consumer.', TC),
    busDeadLetterSize: g('troupe_bus_dead_letter_events', 'Events in the dead-letter stream (read from the backend at scrape), by topic and consumer.', TC),
    busLagEvents: g('troupe_bus_consumer_lag_events', 'Events not yet handled, by topic and consumer.', TC),
    busLagSeconds: g('troupe_bus_consumer_lag_seconds', 'Age of the oldest event not yet handled, by topic and consumer.', TC),
    journalAppends: c('troupe_journal_appends_total', 'Appends that resolved (durable), by journal.', J),
    journalEventsAppended: c('troupe_journal_appended_events_total', 'Events in appends that resolved, by journal.', J),
    journalAppendLatency: h('troupe_journal_append_seconds', 'Time from append to durable, by journal.', J, FSYNC_BUCKETS),
    journalFsync: h('troupe_journal_fsync_seconds', 'Time of one flush (write and fsync of a group commit; a write of the simulated journal), by journal.', J, FSYNC_BUCKETS),
    journalBytes: c('troupe_journal_written_bytes_total', 'Bytes written by flushes (write and fsync), by file journal.', J),
    journalReplayed: c('troupe_journal_replayed_events_total', 'Events read back (recovery, projections, replays), by journal.', J),
    journalOpen: g('troupe_journal_open_seconds', 'How long the journal took to open (recovery included), by journal.', J),
    sagasActive: g('troupe_sagas_active', 'Sagas running on this system, by saga name.', S),
    sagasCompleted: c('troupe_sagas_completed_total', 'Sagas that completed, by saga name.', S),
    sagasCompensated: c('troupe_sagas_compensated_total', 'Sagas that failed and were compensated, by saga name.', S),
    sagasCompensationFailed: c('troupe_sagas_compensation_failed_total', 'Sagas whose compensation failed, by saga name.', S),
    sagaDuration: h('troupe_saga_duration_seconds', 'Time from start (or resume on this system) to the end, by saga name and outcome.', ['saga', 'outcome'], SAGA_BUCKETS),
  };
}
