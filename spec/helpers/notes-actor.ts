// A tiny actor that keeps the notes it is told and answers them on ask: the probe the remote-input
// specs use to show a link still delivers after bad input.

import { defineActor, type ActorRef } from '../../runtime/index.ts';
import { createMessageRegistry, type MessageRegistry } from '../../runtime/wire/message-registry.ts';

export type NoteMsg = { type: 'note'; text: string } | { type: 'notes'; replyTo: ActorRef<string[]> };

export const notes = defineActor<NoteMsg, string[]>({
  name: 'notes',
  init: () => [],
  receive: (s, m) => {
    if (m.type === 'note') return [...s, m.text];
    m.replyTo.tell(s);
    return s;
  },
});

/** A registry declaring the notes messages. */
export const registry = (): MessageRegistry => createMessageRegistry().define('note', { version: 1 }).define('notes', { version: 1 });
