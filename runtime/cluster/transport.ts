// The transport seam: how a node's frames reach another node. Three implementations share it
// (in-memory simulated network, TCP, NATS) and one behaviour spec runs against each.

import type { Scheduler } from '../clock.ts';

/** Which transport a node uses. */
export type TransportKind = 'memory' | 'tcp' | 'nats';

/** Why a link closed or a connection was refused. */
export type LinkCloseReason =
  | 'closed'            // the peer closed it, or the connection dropped
  | 'auth-failed'       // wrong cluster secret or a bad handshake
  | 'protocol-version'  // the peer speaks another wire protocol version
  | 'malformed-frame'   // bytes that are not a frame
  | 'frame-too-large'   // a frame over the configured limit
  | 'handshake-timeout' // no complete handshake in time
  | 'refused'           // nothing listens at that endpoint (the node is not running there)
  | 'error'             // a socket or client error
  | 'over-limit'        // refused by a listener's limits (connections per address, handshakes per second)
  | 'stopped';          // this transport stopped

/** What a transport reports to the node that owns it. */
export interface TransportEvents {
  /** One authenticated frame (an encoded envelope, without framing) from the peer node `peer`. */
  frame(peer: string, bytes: Buffer): void;
  /** A link to `peer` (its node id, learnt in the handshake) at `endpoint` is usable. */
  linkUp(peer: string, endpoint: string): void;
  /** The link to `peer` closed; the transport reconnects by itself on the next send. */
  linkDown(peer: string, endpoint: string, reason: LinkCloseReason, detail: string): void;
  /**
   * A connection was refused or closed before or while it was trusted; the node logs it and keeps
   * serving. Also reported, with reason `error` and the link kept up, when `frame` threw (the
   * frame is dropped; transports never let a handler's throw escape a socket callback).
   */
  rejected(remote: string, reason: LinkCloseReason, detail: string): void;
}

/** What a node gives its transport when it starts. */
export interface TransportContext {
  readonly nodeId: string;
  readonly system: string;
  readonly scheduler: Scheduler;
  /** Random bytes for handshake nonces: cryptographically strong in production, seeded in simulations. */
  readonly nonceBytes: (n: number) => Uint8Array;
  readonly events: TransportEvents;
}

/**
 * A node's transport. Frames to one endpoint arrive in the order they were sent (per
 * sender→receiver pair) while the link stays up. `send` never throws for a peer's sake: it
 * returns false when the frame cannot be queued (the bounded outbound queue is full, or the
 * transport stopped), and the caller dead-letters the message.
 */
export interface Transport {
  readonly kind: TransportKind;
  /** Starts listening and resolves with the endpoint other nodes use to reach this one. */
  start(ctx: TransportContext): Promise<string>;
  /** Queues one frame for the node at `endpoint`, connecting (and handshaking) first if needed. */
  send(endpoint: string, bytes: Buffer): boolean;
  /** Closes the link to `endpoint`; a later send reconnects. */
  disconnect(endpoint: string): void;
  /** Closes every link and stops listening. */
  stop(): Promise<void>;
}
