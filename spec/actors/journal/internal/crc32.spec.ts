// CRC-32: the standard check values, and the table and native paths agreeing on every length.

import { test } from '../../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { crc32, crc32Table } from '../../../../actors/journal/internal/crc32.ts';
import { createSeededRandom } from '../../../../runtime/random.ts';

test('known check values (IEEE 802.3 / zlib)', () => {
  const cases: [string, number][] = [['', 0], ['a', 0xe8b7be43], ['123456789', 0xcbf43926], ['The quick brown fox jumps over the lazy dog', 0x414fa339]];
  for (const [text, want] of cases) {
    const b = Buffer.from(text);
    assert.is(crc32Table(b), want, `table: ${text}`);
    assert.is(crc32(b), want, `crc32: ${text}`);
  }
});

test('table and native paths agree on sub-ranges of every size around the switch-over', () => {
  const bytes = Buffer.from(createSeededRandom(9).bytes(5000));
  for (const len of [0, 1, 7, 8, 9, 63, 1023, 1024, 1025, 4000]) {
    for (const start of [0, 3]) assert.is(crc32(bytes, start, start + len), crc32Table(bytes, start, start + len), `len ${len} start ${start}`);
  }
  const flipped = Buffer.from(bytes);
  flipped[100] ^= 1;
  assert.is.not(crc32(flipped, 0, 2000), crc32(bytes, 0, 2000), 'one flipped bit changes the CRC');
});

test.run();
