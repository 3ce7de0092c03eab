// The envelope: the one shape every message between nodes travels in, whatever the transport.

/** The wire protocol version this build speaks; a peer with another one is refused. */
export const WIRE_PROTOCOL_VERSION = 1;

/** `user` messages go to an actor's user lane; `system` ones (watch, stop, heartbeat…) to its system lane. */
export type EnvelopeKind = 'user' | 'system';

/**
 * One message between nodes, as plain data.
 *
 * - `v`: the wire protocol version ({@link WIRE_PROTOCOL_VERSION}).
 * - `id`: a message id, unique per sender (for dedup and tracing).
 * - `kind`: which lane of the recipient it goes to.
 * - `from`: the sender's address (`troupe://…`, see `address.ts`); absent for messages from outside any actor.
 * - `to`: the recipient's address.
 * - `type`, `typeVersion`: the registered message type and the version the sender wrote
 *   (the receiver upcasts it through its `MessageRegistry`).
 * - `correlationId`: ties a reply to its request (asks).
 * - `traceparent`: a W3C trace context header (`00-<trace-id>-<span-id>-<flags>`).
 * - `payload`: the message body; any value `superjson` can carry (Date, Map, Set, BigInt, undefined…).
 * - `refs`: true when the payload holds actor refs in wire form (the receiver revives them).
 *
 * On the wire it is encoded by `codec.ts`; a decoded envelope has every key, absent optionals `undefined`.
 *
 * @example
 * const env: Envelope = { v: WIRE_PROTOCOL_VERSION, id: 'm1', kind: 'user',
 *   to: 'troupe://shop@node-b/user/orders#1', type: 'order.placed', typeVersion: 2, payload: { sku: 'A1' } };
 */
export interface Envelope {
  readonly v: number;
  readonly id: string;
  readonly kind: EnvelopeKind;
  readonly from?: string;
  readonly to: string;
  readonly type: string;
  readonly typeVersion: number;
  readonly correlationId?: string;
  readonly traceparent?: string;
  readonly payload: unknown;
  readonly refs?: boolean;
}
