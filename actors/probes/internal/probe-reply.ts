// The reply address of one probe run: a one-shot process that turns the instance's answer — or
// the run's failure — into a `probe-result` message in its probe actor's mailbox: an ask without
// a promise, a registry entry or a microtask hop (the node's probe clock times runs out itself).

import type { Address } from '../../../runtime/address.ts';
import type { TroupeError } from '../../../runtime/errors.ts';
import { DELIVERED_DEAD, type DeliveryResult, type Process, type SystemMessage } from '../../../runtime/internal/process.ts';
import type { SystemCore } from '../../../runtime/internal/system-core.ts';
import { TracedMessage } from '../../../runtime/observe/internal/traced-message.ts';
import type { ProbeAnswer, ProbeKind } from '../probe-request.ts';

/** What a probe run's reply becomes in its probe actor's mailbox: the answer, or why there is none. */
export interface ProbeResultMsg {
  readonly type: 'probe-result';
  readonly kind: ProbeKind;
  readonly seq: number;
  readonly answer: ProbeAnswer | null;
  readonly reason: string | null;
  readonly also?: ProbeKind;
}

/**
 * @internal The one-shot reply address of probe run `seq`: the first of its answer, its failure
 * (`fail`: a timeout, a request that could not be sent) and an undeliverable request
 * (`failReply`: the instance stopped with it queued) goes to `prober` as a {@link ProbeResultMsg};
 * anything later is a dead letter. On settling it clears itself from `inflight` (its
 * registration's runs in flight). Local only (it has no registered path): probe actors run
 * beside their instance.
 */
export class ProbeReply implements Process {
  alive = true;
  private addr: Address | null = null;

  constructor(
    private readonly prober: Process,
    readonly kind: ProbeKind,
    readonly seq: number,
    readonly also: ProbeKind | undefined,
    private readonly inflight: Record<ProbeKind, ProbeReply | null> | null = null,
  ) {}

  get host(): SystemCore { return this.prober.host; }

  get address(): Address {
    return this.addr ??= { system: this.host.name, node: this.host.node, path: `/temp/probe-${this.seq}`, uid: this.seq };
  }

  deliverUser(msg: unknown): DeliveryResult {
    if (!this.alive) {
      this.host.deadLetter(this, msg, 'actor-stopped');
      return DELIVERED_DEAD;
    }
    this.settle((msg instanceof TracedMessage ? msg.msg : msg) as ProbeAnswer, null);
    return 0;
  }

  deliverSystem(_msg: SystemMessage): void {}

  /** The run failed (no answer in time, or the request could not be sent): forwarded unless it already settled. */
  fail(reason: string): void {
    if (this.alive) this.settle(null, reason);
  }

  /** The request was not delivered (e.g. its instance stopped with it in the mailbox). */
  failReply(error: TroupeError): void {
    this.fail(error.code === 'actor-dead' ? 'the instance is not alive' : `${error.code}: ${error.message}`);
  }

  /** Settles without a result (its probe actor stopped probing). */
  drop(): void {
    this.alive = false;
  }

  private settle(answer: ProbeAnswer | null, reason: string | null): void {
    this.alive = false;
    const runs = this.inflight;
    if (runs !== null) {
      if (runs[this.kind] === this) runs[this.kind] = null;
      if (this.also !== undefined && runs[this.also] === this) runs[this.also] = null;
    }
    const msg: ProbeResultMsg = this.also === undefined
      ? { type: 'probe-result', kind: this.kind, seq: this.seq, answer, reason }
      : { type: 'probe-result', kind: this.kind, seq: this.seq, answer, reason, also: this.also };
    this.prober.deliverUser(msg);
  }
}
