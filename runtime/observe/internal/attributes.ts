// The attribute names on Troupe's spans: OpenTelemetry's messaging semantic conventions (the
// incubating `messaging.*` names, copied here as OpenTelemetry advises for incubating names; a
// spec checks them against @opentelemetry/semantic-conventions) and Troupe's own `troupe.*`.

export const MESSAGING_SYSTEM = 'messaging.system';
export const MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const MESSAGING_DESTINATION_PARTITION_ID = 'messaging.destination.partition.id';
export const MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
export const MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const MESSAGING_MESSAGE_CONVERSATION_ID = 'messaging.message.conversation_id';
export const MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';

/** `messaging.system` on every Troupe span. */
export const TROUPE = 'troupe';

/** The actor that handles (or sent, for producer and client spans) the message. */
export const ACTOR_PATH = 'troupe.actor.path';
/** The message's `type` field (`messageTypeOf`), or `(untyped)`. */
export const MESSAGE_TYPE = 'troupe.message.type';
/** The node (system `node` name) the span ran on. */
export const NODE = 'troupe.node';
/** Milliseconds the message waited between send (or stash) and the start of its handling. */
export const MAILBOX_WAIT_MS = 'troupe.mailbox.wait_ms';
/** Why a traced message became a dead letter. */
export const DEAD_LETTER_REASON = 'troupe.dead_letter.reason';
/** Bus delivery attempt, 1 on first delivery. */
export const DELIVERY_ATTEMPT = 'troupe.delivery.attempt';
export const JOURNAL_STREAM = 'troupe.journal.stream';
export const JOURNAL_POSITION = 'troupe.journal.position';
export const PROJECTION_NAME = 'troupe.projection.name';
export const SAGA_NAME = 'troupe.saga.name';
export const SAGA_ID = 'troupe.saga.id';
export const SAGA_STEP = 'troupe.saga.step';
export const SAGA_ATTEMPT = 'troupe.saga.attempt';
/** Why a link was added: `redelivery-of`, `batch-member`. */
export const LINK_REASON = 'troupe.link.reason';

/** Stable semantic-convention names used here. */
export const ERROR_TYPE = 'error.type';
export const HTTP_REQUEST_METHOD = 'http.request.method';
export const URL_PATH = 'url.path';
export const URL_QUERY = 'url.query';
export const USER_AGENT_ORIGINAL = 'user_agent.original';
export const HTTP_ROUTE = 'http.route';
