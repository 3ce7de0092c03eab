import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import {
  DEFAULT_MAX_FRAME_BYTES, createFrameDecoder, decodeFrames, encodeFrame, encodeFrames, encodeTextFrames,
} from '../../../runtime/wire/frame.ts';
import { isTroupeError } from '../../../runtime/errors.ts';
import { createSeededRandom, type Random } from '../../../runtime/random.ts';

function randomFrames(r: Random, count: number, maxLen: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) out.push(Buffer.from(r.bytes(r.int(maxLen + 1))));
  return out;
}

/** Splits `bytes` at random points: some 1-byte chunks, some that hold many frames. */
function randomSplit(r: Random, bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  let off = 0;
  while (off < bytes.length) {
    const n = r.next() < 0.3 ? 1 + r.int(3) : 1 + r.int(600);
    chunks.push(bytes.subarray(off, Math.min(off + n, bytes.length)));
    off += n;
  }
  return chunks;
}

test('encodeFrame writes a 4-byte big-endian length then the bytes', () => {
  assert.equal([...encodeFrame(Buffer.from('hi'))], [0, 0, 0, 2, 0x68, 0x69]);
  assert.equal([...encodeFrame(new Uint8Array(0))], [0, 0, 0, 0]);
  const big = encodeFrame(Buffer.alloc(0x01020304 & 0xffff));
  assert.is(big.readUInt32BE(0), 0x0304);
});

test('encodeFrames, encodeTextFrames and decodeFrames round-trip, including empty and multi-byte UTF-8', () => {
  const texts = ['', 'a', 'héllo ✓ 🎭', 'x'.repeat(1000)];
  const bodies = texts.map((t) => Buffer.from(t, 'utf8'));
  const a = encodeFrames(bodies);
  const b = encodeTextFrames(texts);
  assert.ok(a.equals(b));
  assert.equal(decodeFrames(a).map((f) => f.toString('utf8')), texts);
});

test('a frame decoder returns frames split across chunks and many per chunk (seeded random splits)', () => {
  for (let seed = 1; seed <= 150; seed++) {
    const r = createSeededRandom(seed);
    const frames = randomFrames(r, 1 + r.int(40), r.next() < 0.2 ? 3000 : 64);
    const d = createFrameDecoder();
    const got: Buffer[] = [];
    for (const chunk of randomSplit(r, encodeFrames(frames))) {
      got.push(...d.push(chunk));
    }
    d.end();
    assert.is(d.buffered, 0);
    assert.is(got.length, frames.length, `seed ${seed}`);
    for (let i = 0; i < frames.length; i++) assert.ok(got[i].equals(frames[i]), `seed ${seed} frame ${i}`);
  }
});

test('a frame decoder reports bytes held for an incomplete frame', () => {
  const d = createFrameDecoder();
  const bytes = encodeFrame(Buffer.from('abcdef'));
  assert.equal(d.push(bytes.subarray(0, 2)), []);
  assert.is(d.buffered, 2);
  assert.equal(d.push(bytes.subarray(2, 7)), []);
  assert.is(d.buffered, 7);
  assert.equal(d.push(bytes.subarray(7)).map(String), ['abcdef']);
  assert.is(d.buffered, 0);
});

test('frames that lie wholly inside one chunk are views of it, not copies', () => {
  const chunk = encodeFrames([Buffer.from('one'), Buffer.from('two')]);
  const frames = createFrameDecoder().push(chunk);
  assert.is(frames.length, 2);
  for (const f of frames) assert.is(f.buffer, chunk.buffer);
});

test('a frame decoder accepts plain Uint8Array chunks', () => {
  const bytes = new Uint8Array(encodeFrames([Buffer.from('u8')]));
  assert.equal(createFrameDecoder().push(bytes).map(String), ['u8']);
});

test('an oversized length prefix is frame-too-large and poisons the decoder', () => {
  const d = createFrameDecoder({ maxFrameBytes: 10 });
  const ok = encodeFrame(Buffer.alloc(10));
  assert.is(d.push(ok).length, 1);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(11);
  try {
    d.push(header);
    assert.unreachable('accepted an 11-byte frame');
  } catch (e) {
    assert.ok(isTroupeError(e, 'frame-too-large'));
    assert.equal(e.data, { length: 11, maxFrameBytes: 10 });
  }
  assert.ok(d.poisoned);
  try {
    d.push(ok);
    assert.unreachable('a poisoned decoder accepted more bytes');
  } catch (e) {
    assert.ok(isTroupeError(e, 'frame-too-large'));
  }
});

test('a length prefix split across chunks is still checked against the limit', () => {
  const d = createFrameDecoder({ maxFrameBytes: 100 });
  const header = Buffer.alloc(4);
  header.writeUInt32BE(DEFAULT_MAX_FRAME_BYTES);
  d.push(header.subarray(0, 3));
  try {
    d.push(header.subarray(3));
    assert.unreachable();
  } catch (e) {
    assert.ok(isTroupeError(e, 'frame-too-large'));
  }
});

test('the default limit is 16 MiB and the sender refuses bigger frames before writing', () => {
  assert.is(DEFAULT_MAX_FRAME_BYTES, 16 * 1024 * 1024);
  try {
    encodeFrames([Buffer.alloc(1), Buffer.alloc(9)], 8);
    assert.unreachable();
  } catch (e) {
    assert.ok(isTroupeError(e, 'frame-too-large'));
  }
  try {
    encodeTextFrames(['ééééé'], 8); // 10 UTF-8 bytes
    assert.unreachable();
  } catch (e) {
    assert.ok(isTroupeError(e, 'frame-too-large'));
  }
});

test('a stream that ends mid-frame is malformed-frame on end()', () => {
  const bytes = encodeFrames([Buffer.from('complete'), Buffer.from('truncated')]);
  for (const cut of [bytes.length - 1, 12 + 2, 12 + 4]) {
    const d = createFrameDecoder();
    assert.equal(d.push(bytes.subarray(0, cut)).map(String), ['complete']);
    try {
      d.end();
      assert.unreachable(`end() accepted a stream cut at ${cut}`);
    } catch (e) {
      assert.ok(isTroupeError(e, 'malformed-frame'));
    }
    assert.ok(d.poisoned);
  }
  try {
    decodeFrames(bytes.subarray(0, bytes.length - 3));
    assert.unreachable();
  } catch (e) {
    assert.ok(isTroupeError(e, 'malformed-frame'));
  }
});

test('random bytes fuzz: every outcome is frames or a typed frame error (seeded, bounded)', () => {
  let frames = 0, errors = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const r = createSeededRandom(seed);
    const d = createFrameDecoder({ maxFrameBytes: 100 + r.int(2048) });
    // Half the inputs are valid frame streams with a few bytes flipped and maybe cut short.
    let bytes: Buffer;
    if (r.next() < 0.5) {
      bytes = Buffer.from(r.bytes(r.int(4096)));
    } else {
      bytes = encodeFrames(randomFrames(r, 1 + r.int(20), 100));
      for (let k = r.int(3); k > 0; k--) bytes[r.int(bytes.length)] = r.int(256);
      if (r.next() < 0.3) bytes = bytes.subarray(0, r.int(bytes.length));
    }
    try {
      for (const chunk of randomSplit(r, bytes)) frames += d.push(chunk).length;
      d.end();
    } catch (e) {
      assert.ok(isTroupeError(e, 'frame-too-large') || isTroupeError(e, 'malformed-frame'), `seed ${seed}: ${String(e)}`);
      errors++;
    }
  }
  assert.ok(frames > 0 && errors > 0, `fuzz should exercise both outcomes (frames ${frames}, errors ${errors})`);
});

test('createFrameDecoder rejects an invalid maxFrameBytes', () => {
  for (const maxFrameBytes of [-1, 1.5, 2 ** 32]) {
    try {
      createFrameDecoder({ maxFrameBytes });
      assert.unreachable();
    } catch (e) {
      assert.ok(isTroupeError(e, 'invalid-argument'));
    }
  }
});

test.run();
