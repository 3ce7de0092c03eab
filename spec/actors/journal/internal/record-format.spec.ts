// The on-disk record: what is written decodes back to the same event, and any damaged byte is
// caught by the frame check instead of being decoded.

import { test } from '../../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { checkFrame, decodeRecord, FLAG_END_OF_APPEND, readHead, recordBound, recordSize, writeRecord } from '../../../../actors/journal/internal/record-format.ts';
import { StringCache } from '../../../../actors/journal/internal/string-cache.ts';
import type { PreparedEvent } from '../../../../actors/journal/internal/prepare-events.ts';
import { isTroupeError } from '../../../../runtime/errors.ts';

const events: PreparedEvent[] = [
  { type: 'placed', schemaVersion: 2, encoding: 'json', dataText: '{"total":12,"note":"héllo 🌍"}', meta: { id: 'e-1', timestampMs: 1.5 } },
  { type: 'ünï', schemaVersion: 1, encoding: 'superjson', dataText: '{"json":{"at":"1970-01-01T00:00:00.000Z"},"meta":{"values":{"at":["Date"]},"v":1}}', meta: { id: 'e-2', correlationId: 'c', causationId: 'k', timestampMs: 9 } },
];

test('a written record decodes to the same event; sizes are exact and bounded', () => {
  const buf = Buffer.alloc(4096);
  let off = 0;
  const offs: number[] = [];
  events.forEach((e, i) => {
    const n = writeRecord(buf, off, 'order:7', e, 100 + i, 3 + i, 42, i === 1 ? FLAG_END_OF_APPEND : 0);
    assert.is(n, recordSize('order:7', e));
    assert.ok(n <= recordBound('order:7', e));
    offs.push(off);
    off += n;
  });
  const cache = new StringCache();
  const a = decodeRecord(buf, offs[0], off, 100, 'test', cache);
  assert.equal(a, { stream: 'order:7', version: 3, position: 100, type: 'placed', schemaVersion: 2, data: { total: 12, note: 'héllo 🌍' }, meta: { id: 'e-1', timestampMs: 1.5 } });
  const b = decodeRecord(buf, offs[1], off, 101, 'test', cache);
  assert.instance((b.data as { at: Date }).at, Date);
  assert.equal(b.meta, { id: 'e-2', correlationId: 'c', causationId: 'k', timestampMs: 9 });
  assert.equal(readHead(buf, offs[1], cache), { flags: FLAG_END_OF_APPEND | 4, flushSeq: 42, position: 101, version: 4, stream: 'order:7' });
});

test('every single damaged byte of a record fails the frame check and is never decoded', () => {
  const buf = Buffer.alloc(512);
  const n = writeRecord(buf, 0, 's', events[0], 1, 1, 1, FLAG_END_OF_APPEND);
  for (let i = 0; i < n; i++) {
    const copy = Buffer.from(buf);
    copy[i] ^= 0x01;
    assert.is(checkFrame(copy, 0, n), -1, `byte ${i}`);
    try {
      decodeRecord(copy, 0, n, 1, 'test', new StringCache());
      assert.unreachable(`decoded with byte ${i} damaged`);
    } catch (e) {
      assert.ok(isTroupeError(e, 'corrupt-record'), String(e));
    }
  }
  assert.is(checkFrame(buf, 0, n - 1), -1, 'a record cut short is not a record');
  assert.is(checkFrame(Buffer.alloc(200), 0, 200), -1, 'zeros are not a record');
});

test('the string cache returns equal strings for equal bytes and never confuses different ones', () => {
  const cache = new StringCache();
  const words = ['alpha', 'beta', 'alpha', 'ünï', 'beta', 'x'.repeat(100)];
  for (const w of words) {
    const b = Buffer.concat([Buffer.from('##'), Buffer.from(w), Buffer.from('##')]);
    assert.is(cache.get(b, 2, b.length - 2), w);
  }
});

test.run();
