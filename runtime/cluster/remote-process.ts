// A process on another node: what a ref to a remote actor resolves to. Everything it is given
// goes through the node's remoting (envelope, codec, transport).

import { ActorRef } from '../actor-ref.ts';
import { formatAddress, type Address } from '../address.ts';
import type { FailableReply } from '../ask.ts';
import type { TroupeError } from '../errors.ts';
import type { DeadLetterReason } from '../events.ts';
import type { DeliveryResult, Process, SystemMessage } from '../internal/process.ts';
import type { SystemCore } from '../internal/system-core.ts';

/** What a remote process needs from the node's remoting. */
export interface RemoteLink {
  reachable(node: string): boolean;
  /** A member, not down, that the failure detector suspects. */
  unreachable(node: string): boolean;
  sendUser(target: RemoteProcess, msg: unknown): DeliveryResult;
  sendSystem(target: RemoteProcess, msg: SystemMessage): void;
  /** Tells the node of a remote ask's reply address that its request was not delivered here. */
  sendFailure(replyTo: RemoteProcess, error: TroupeError, recipient: Process | undefined): void;
}

export class RemoteProcess implements Process, FailableReply {
  readonly ref: ActorRef<unknown>;
  readonly text: string;
  /** Set when its node said this actor is gone (a failure reply): then it is dead here for good. */
  private gone: DeadLetterReason | null = null;

  constructor(readonly host: SystemCore, readonly address: Address, private readonly link: RemoteLink, text?: string) {
    this.text = text ?? formatAddress(address);
    this.ref = new ActorRef(this);
  }

  /** Alive while its node is a reachable member (death of the actor itself arrives by watch). */
  get alive(): boolean {
    return this.gone === null && this.link.reachable(this.address.node);
  }

  /** True while its node is a member this node cannot reach: an ask fails `node-unreachable`, not `actor-dead`. */
  get unreachable(): boolean {
    return this.gone === null && this.link.unreachable(this.address.node);
  }

  /** Its node reported this incarnation stopped or unknown: later tells dead-letter here, asks fail at once. */
  markGone(reason: DeadLetterReason): void {
    this.gone ??= reason;
  }

  deliverUser(msg: unknown): DeliveryResult {
    if (this.gone !== null) {
      this.host.deadLetter(this, msg, this.gone);
      return 4;
    }
    return this.link.sendUser(this, msg);
  }

  /** For a remote ask's reply address: the failure goes back to the asking node. */
  failReply(error: TroupeError, recipient: Process | undefined): void {
    if (this.address.path.startsWith('/temp/')) this.link.sendFailure(this, error, recipient);
  }

  deliverSystem(msg: SystemMessage): void {
    this.link.sendSystem(this, msg);
  }
}

/**
 * A local address that resolves to nothing: everything is a dead letter, with `actor-stopped`
 * when nothing lives at its path (the actor stopped) or `unknown-recipient` (another incarnation
 * lives there, or the address is not an actor's).
 */
export class DeadProcess implements Process {
  readonly alive = false;
  constructor(readonly host: SystemCore, readonly address: Address, private readonly reason: 'actor-stopped' | 'unknown-recipient' = 'unknown-recipient') {}
  deliverUser(msg: unknown): DeliveryResult {
    this.host.deadLetter(this, msg, this.reason);
    return 4;
  }
  deliverSystem(msg: SystemMessage): void {
    if (msg.type === 'watch') msg.watcher.deliverSystem({ type: 'terminated', ref: new ActorRef(this) as ActorRef<never>, reason: { kind: 'normal' } });
  }
}
