// Server process of the raw TCP baselines: length-prefixed JSON frames, JSON.parse per frame; counts
// `n` messages and answers `count`, and answers each `get` with the number of gets served.

import { createServer, type Socket } from 'node:net';
import { createJsonFrameReader, encodeJsonFrames } from '../raw-frames.ts';
import type { TellMsg } from '../protocol.ts';
import { serveUntilParentGoes } from '../server-process.ts';

/** Frames the client sends: `{ type: 'n', v }`, `{ type: 'count' }`, `{ type: 'get', id }`. */
type Request = TellMsg | { type: 'count' } | { type: 'get'; id: number };

/** The last message received, kept where V8 cannot drop it. */
let last: TellMsg | undefined;
let count = 0;
let served = 0;

const serve = (socket: Socket): void => {
  socket.setNoDelay(true);
  // Replies produced while reading one chunk leave in one write, as a batching server would.
  let replies: string[] = [];
  const read = createJsonFrameReader((value) => {
    const m = value as Request;
    if (m.type === 'n') { last = m; count++; return; }
    if (m.type === 'count') {
      replies.push(JSON.stringify({ count, last: last?.v ?? -1 }));
      count = 0;
      return;
    }
    replies.push(JSON.stringify({ id: m.id, served: ++served }));
  });
  socket.on('data', (chunk: Buffer) => {
    read(chunk);
    if (replies.length > 0) { socket.write(encodeJsonFrames(replies)); replies = []; }
  });
  socket.on('error', () => socket.destroy());
};

const server = createServer({ noDelay: true }, serve);
server.listen({ host: '127.0.0.1', port: 0 }, () => {
  const a = server.address();
  const port = typeof a === 'object' && a !== null ? a.port : 0;
  serveUntilParentGoes({ type: 'ready', endpoint: `127.0.0.1:${port}`, refs: {} }, () => new Promise((r) => server.close(() => r())));
});
