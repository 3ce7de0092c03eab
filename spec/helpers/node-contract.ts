// The behaviour every transport must give nodes: refs to remote actors work like local ones
// (tell, ask, watch, the same typed errors), and a crashed node is detected. Run by
// spec/runtime/cluster/node-contract.spec.ts against the simulated network, TCP and NATS.

import { suite } from './uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, isTroupeError, type ActorRef, type SystemEvent } from '../../runtime/index.ts';
import type { ClusterNode } from '../../runtime/cluster/node.ts';
import { createMessageRegistry, type MessageRegistry } from '../../runtime/wire/message-registry.ts';

/** Starts nodes on one transport kind and lets them work. */
export interface NodeHarness {
  /** Starts the nodes (the first is the seed) and resolves when every node sees every other up. */
  start(names: readonly string[], registry: () => MessageRegistry): Promise<ReadonlyMap<string, ClusterNode>>;
  /** Lets the nodes work until `done()` holds or `limitMs` passes (virtual or real); returns `done()`. */
  settle(done: () => boolean, limitMs?: number): Promise<boolean>;
  /** Kills a node: its transport goes silent at once. */
  crash(name: string): Promise<void>;
  shutdown(): Promise<void>;
}

type CounterMsg =
  | { type: 'add'; n: number }
  | { type: 'total'; replyTo: ActorRef<{ total: number; order: number[] }> }
  | { type: 'slow'; replyTo: ActorRef<string> };

const counter = defineActor<CounterMsg, { total: number; order: number[] }>({
  name: 'counter',
  init: () => ({ total: 0, order: [] }),
  receive: (s, m) => {
    switch (m.type) {
      case 'add': return { total: s.total + m.n, order: s.order.length < 2_000 ? [...s.order, m.n] : s.order };
      case 'total': m.replyTo.tell({ total: s.total, order: s.order }); return s;
      case 'slow': return s; // never answers
    }
  },
});

const registry = (): MessageRegistry => createMessageRegistry().define('add', { version: 1 }).define('total', { version: 1 }).define('slow', { version: 1 });

export function nodeContract(name: string, harness: () => NodeHarness): void {
  const test = suite(`node contract: ${name}`);

  test('members, tell in order and ask across nodes', async () => {
    const h = harness();
    try {
      const nodes = await h.start(['a', 'b', 'c'], registry);
      for (const n of nodes.values()) assert.equal(n.cluster.members().map((m) => `${m.node}:${m.status}`), ['a:up', 'b:up', 'c:up']);
      const local = nodes.get('b')!.system.spawn(counter, 'counter');
      const remote = nodes.get('a')!.cluster.refFor<CounterMsg>(String(local));
      assert.ok(remote.alive);
      for (let i = 1; i <= 1_000; i++) remote.tell({ type: 'add', n: i });
      let reply: { total: number; order: number[] } | undefined;
      remote.ask<{ total: number; order: number[] }>((replyTo) => ({ type: 'total', replyTo }), { timeoutMs: 10_000 }).then((r) => { reply = r; });
      assert.ok(await h.settle(() => reply !== undefined), 'the ask was answered');
      assert.is(reply!.total, 500_500);
      assert.equal(reply!.order, Array.from({ length: 1_000 }, (_, i) => i + 1), 'per-pair order holds');
    } finally {
      await h.shutdown();
    }
  });

  test('a remote ask times out with ask-timeout; an undeclared type fails with unknown-message-type', async () => {
    const h = harness();
    try {
      const nodes = await h.start(['a', 'b'], registry);
      const remote = nodes.get('a')!.cluster.refFor<CounterMsg>(String(nodes.get('b')!.system.spawn(counter, 'counter')));
      let error: unknown;
      remote.ask<string>((replyTo) => ({ type: 'slow', replyTo }), { timeoutMs: 300 }).catch((e) => { error = e; });
      assert.ok(await h.settle(() => error !== undefined, 5_000));
      assert.ok(isTroupeError(error, 'ask-timeout'));
      const undeclared = await (remote as unknown as ActorRef<{ type: 'nope'; replyTo: ActorRef<string> }>)
        .ask<string>((replyTo) => ({ type: 'nope', replyTo })).then(() => undefined, (e: unknown) => e);
      assert.ok(isTroupeError(undeclared, 'unknown-message-type'));
    } finally {
      await h.shutdown();
    }
  });

  test('remote death watch: a stopped remote actor terminates for its watcher', async () => {
    const h = harness();
    try {
      const nodes = await h.start(['a', 'b'], registry);
      const target = nodes.get('b')!.system.spawn(counter, 'counter');
      const remote = nodes.get('a')!.cluster.refFor<CounterMsg>(String(target));
      const seen: string[] = [];
      nodes.get('a')!.system.spawn(defineActor<never, undefined>({
        init: (ctx) => { ctx.watch(remote as ActorRef<never>); return undefined; },
        receive: () => undefined,
        signal: (_s, sig) => { if (sig.type === 'terminated') seen.push(`${sig.ref.equals(remote as never)}:${sig.reason.kind}`); },
      }), 'watcher');
      await h.settle(() => false, 100);
      nodes.get('b')!.system.stop(target as ActorRef<never>);
      assert.ok(await h.settle(() => seen.length > 0, 5_000));
      assert.equal(seen, ['true:shutdown']); // stopped by its supervisor (the guardian): OTP's `shutdown`
    } finally {
      await h.shutdown();
    }
  });

  test('a remote ask the receiver dead-letters fails at once with the code a local ask would give', async () => {
    const h = harness();
    try {
      // the asker (first node) writes types the receiver cannot read: one it does not know, a
      // newer version, and one whose validator the receiver refuses
      let started = 0;
      const perNode = (): MessageRegistry => started++ === 0
        ? registry().define('extra', { version: 1 }).define('greet', { version: 2 }).define('checked', { version: 1 })
        : registry().define('greet', { version: 1 }).define('checked', { version: 1, validate: () => 'refused by the receiver' });
      const nodes = await h.start(['a', 'b'], perNode);
      const a = nodes.get('a')!;
      const b = nodes.get('b')!;
      const live = b.system.spawn(counter, 'counter');
      const gone = b.system.spawn(counter, 'gone');
      const tiny = b.system.spawn(counter, 'tiny', { mailbox: { kind: 'bounded', capacity: 1, overflow: 'reject' } });
      b.system.stop(gone as ActorRef<never>);
      type Any = { type: string; n?: number; replyTo?: ActorRef<unknown> };
      const ref = (text: string): ActorRef<Any> => a.cluster.refFor<Any>(text);
      const failures = new Map<string, unknown>();
      const ask = (label: string, target: ActorRef<Any>, type: string): void => {
        target.ask<unknown>((replyTo) => ({ type, replyTo }), { timeoutMs: 60_000 }).then((v) => failures.set(label, v), (e: unknown) => failures.set(label, e));
      };
      const goneRef = ref(String(gone));
      ask('stopped', goneRef, 'total');
      ask('old incarnation', ref(`troupe://${b.system.name}@b/user/counter#${live.address.uid + 1}`), 'total');
      ask('unknown type', ref(String(live)), 'extra');
      ask('newer version', ref(String(live)), 'greet');
      ask('invalid payload', ref(String(live)), 'checked');
      const tinyRef = ref(String(tiny));
      tinyRef.tell({ type: 'add', n: 1 });
      ask('full mailbox', tinyRef, 'total'); // same packet as the add: the mailbox of one is full
      assert.ok(await h.settle(() => failures.size === 6, 10_000), `every ask ended without waiting for its timeout: ${[...failures.keys()].join(', ')}`);
      const codes = Object.fromEntries([...failures].map(([k, e]) => [k, isTroupeError(e) ? e.code : `resolved ${JSON.stringify(e)}`]));
      assert.equal(codes, {
        'stopped': 'actor-dead', 'old incarnation': 'unknown-recipient', 'unknown type': 'unknown-message-type',
        'newer version': 'unsupported-version', 'invalid payload': 'schema-invalid', 'full mailbox': 'mailbox-full',
      });
      // the ref to the stopped actor learnt it is dead: later asks fail at once, tells dead-letter here
      assert.is(goneRef.alive, false);
      const again = await goneRef.ask((replyTo) => ({ type: 'total', replyTo }), { timeoutMs: 60_000 }).then(() => undefined, (e: unknown) => e);
      assert.ok(isTroupeError(again, 'actor-dead'), String(again));
      const dead: SystemEvent[] = [];
      a.system.events$.subscribe((e) => { if (e.type === 'dead-letter') dead.push(e); });
      goneRef.tell({ type: 'add', n: 1 });
      assert.equal(dead.map((e) => e.type === 'dead-letter' && `${e.recipient} ${e.reason}`), ['/user/gone actor-stopped']);
      assert.ok(ref(String(live)).alive, 'a live actor on the same node stays alive');
    } finally {
      await h.shutdown();
    }
  });

  test('a crashed node is detected: watchers get node-down, pending asks fail, messages dead-letter', async () => {
    const h = harness();
    try {
      const nodes = await h.start(['a', 'b', 'c'], registry);
      const remote = nodes.get('a')!.cluster.refFor<CounterMsg>(String(nodes.get('c')!.system.spawn(counter, 'counter')));
      const seen: string[] = [];
      nodes.get('a')!.system.spawn(defineActor<never, undefined>({
        init: (ctx) => { ctx.watch(remote as ActorRef<never>); return undefined; },
        receive: () => undefined,
        signal: (_s, sig) => { if (sig.type === 'terminated') seen.push(sig.reason.kind); },
      }), 'watcher');
      let askError: unknown;
      remote.ask<string>((replyTo) => ({ type: 'slow', replyTo }), { timeoutMs: 60_000 }).catch((e) => { askError = e; });
      await h.settle(() => false, 100);
      await h.crash('c');
      const bSeesDown = (): boolean => nodes.get('b')!.cluster.members().some((m) => m.node === 'c' && m.status === 'down');
      assert.ok(await h.settle(() => seen.length > 0 && askError !== undefined && bSeesDown(), 10_000), 'the crash was detected by both survivors');
      assert.equal(seen, ['node-down']);
      // actor-dead when the transport learns the process is gone (a refused connect), else
      // node-unreachable as soon as the failure detector suspects it (the request may have run)
      assert.ok(isTroupeError(askError, 'actor-dead') || isTroupeError(askError, 'node-unreachable'), String(askError));
      assert.is(remote.alive, false);
      const dead: SystemEvent[] = [];
      nodes.get('a')!.system.events$.subscribe((e) => { if (e.type === 'dead-letter') dead.push(e); });
      remote.tell({ type: 'add', n: 1 });
      assert.ok(dead.length === 1 && dead[0].type === 'dead-letter' && dead[0].reason === 'node-unreachable');
    } finally {
      await h.shutdown();
    }
  });

  test.run();
}
