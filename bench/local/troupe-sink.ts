// The Troupe side of the tell workload, shared by the local and observe suites: a real-clock
// system with one actor that stores each message in a field and counts it (a Receiver).

import { createSystem, defineActor, type ActorSystem, type SystemOptions } from '../../runtime/index.ts';
import { Receiver, type TellMsg } from './workload.ts';

let rx: Receiver | undefined;

const sink = defineActor<TellMsg, { n: number }>({
  init: () => ({ n: 0 }),
  receive: (s, m) => { rx!.receive(m); return s; },
});

/**
 * Creates a system named `bench` with `options` (default none), spawns the sink actor expecting
 * `size` messages, runs `body` with a send function (`ref.tell`), the sink's receiver and the
 * system, then terminates the system and returns what `body` returned. Pass the send function to
 * `timeTell` to run the standard producer (batches of 1024).
 */
export async function withTellSink<R>(
  size: number,
  options: Omit<SystemOptions, 'name'>,
  body: (tell: (m: TellMsg) => void, receiver: Receiver, system: ActorSystem) => Promise<R>,
): Promise<R> {
  const receiver = new Receiver(size);
  rx = receiver;
  const system = createSystem({ ...options, name: 'bench' });
  const ref = system.spawn(sink, 'sink');
  const result = await body((m) => ref.tell(m), receiver, system);
  await system.terminate();
  return result;
}
