// A process on another node: what a ref to a remote actor resolves to. Everything it is given
// goes through the node's remoting (envelope, codec, transport).

import { ActorRef } from '../actor-ref.ts';
import { formatAddress, type Address } from '../address.ts';
import type { DeliveryResult, Process, SystemMessage } from '../internal/process.ts';
import type { SystemCore } from '../internal/system-core.ts';

/** What a remote process needs from the node's remoting. */
export interface RemoteLink {
  reachable(node: string): boolean;
  sendUser(target: RemoteProcess, msg: unknown): DeliveryResult;
  sendSystem(target: RemoteProcess, msg: SystemMessage): void;
}

export class RemoteProcess implements Process {
  readonly ref: ActorRef<unknown>;
  readonly text: string;

  constructor(readonly host: SystemCore, readonly address: Address, private readonly link: RemoteLink, text?: string) {
    this.text = text ?? formatAddress(address);
    this.ref = new ActorRef(this);
  }

  /** Alive while its node is a reachable member (death of the actor itself arrives by watch). */
  get alive(): boolean {
    return this.link.reachable(this.address.node);
  }

  deliverUser(msg: unknown): DeliveryResult {
    return this.link.sendUser(this, msg);
  }

  deliverSystem(msg: SystemMessage): void {
    this.link.sendSystem(this, msg);
  }
}

/** A local address that resolves to nothing (stopped, or an old incarnation): everything is a dead letter. */
export class DeadProcess implements Process {
  readonly alive = false;
  constructor(readonly host: SystemCore, readonly address: Address) {}
  deliverUser(msg: unknown): DeliveryResult {
    this.host.deadLetter(this, msg, 'unknown-recipient');
    return 4;
  }
  deliverSystem(msg: SystemMessage): void {
    if (msg.type === 'watch') msg.watcher.deliverSystem({ type: 'terminated', ref: new ActorRef(this) as ActorRef<never>, reason: { kind: 'normal' } });
  }
}
