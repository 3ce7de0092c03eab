// The reply address of one probe run: a one-shot process that turns the instance's answer into a
// `probe-result` message in its probe actor's mailbox — an ask without a promise, a registry
// entry or a microtask hop (a probe actor times its runs out itself).

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
 * @internal The one-shot reply address of probe run `seq`: its first message (the instance's
 * answer) goes to `prober` as a {@link ProbeResultMsg}; later ones are dead letters. Local only
 * (it has no registered path), as probe actors run beside their instance. When the request
 * cannot be delivered (the instance stopped with it queued), the failure is forwarded at once.
 */
export class ProbeReply implements Process {
  alive = true;
  private addr: Address | null = null;

  constructor(
    private readonly prober: Process,
    private readonly kind: ProbeKind,
    private readonly seq: number,
    private readonly also: ProbeKind | undefined,
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
    this.alive = false;
    const answer = (msg instanceof TracedMessage ? msg.msg : msg) as ProbeAnswer;
    this.forward(answer, null);
    return 0;
  }

  deliverSystem(_msg: SystemMessage): void {}

  /** The request was not delivered (e.g. its instance stopped with it in the mailbox). */
  failReply(error: TroupeError): void {
    if (!this.alive) return;
    this.alive = false;
    this.forward(null, error.code === 'actor-dead' ? 'the instance is not alive' : `${error.code}: ${error.message}`);
  }

  private forward(answer: ProbeAnswer | null, reason: string | null): void {
    const msg: ProbeResultMsg = this.also === undefined
      ? { type: 'probe-result', kind: this.kind, seq: this.seq, answer, reason }
      : { type: 'probe-result', kind: this.kind, seq: this.seq, answer, reason, also: this.also };
    this.prober.deliverUser(msg);
  }
}
