import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { compareManifests, parseManifest, type Manifest } from '../../../runtime/wire/manifest.ts';
import { createMessageRegistry } from '../../../runtime/wire/message-registry.ts';
import { isTroupeError } from '../../../runtime/errors.ts';

const m = (types: Record<string, [number, number]>): Manifest =>
  ({ types: Object.fromEntries(Object.entries(types).map(([t, [version, minVersion]]) => [t, { version, minVersion }])) });

const brief = (list: ReturnType<typeof compareManifests>) => list.map((i) => `${i.type} ${i.direction} ${i.kind}`);

test('identical manifests, and overlapping readable ranges, are compatible', () => {
  assert.equal(compareManifests(m({ a: [2, 1] }), m({ a: [2, 1] })), []);
  assert.equal(compareManifests(m({ a: [2, 1], b: [1, 1] }), m({ a: [2, 2], b: [1, 1] })), []);
});

test('a type one side does not know is unknown-type in the direction it cannot travel', () => {
  const out = compareManifests(m({ mine: [1, 1], both: [1, 1] }), m({ theirs: [2, 1], both: [1, 1] }));
  assert.equal(brief(out), ['mine outbound unknown-type', 'theirs inbound unknown-type']);
  assert.is(out[1].sentVersion, 2);
  assert.is(out[1].reader, undefined);
  assert.ok(/does not know that type/.test(out[0].message));
});

test('a writer newer than the reader is version-too-new; older than its minVersion is version-too-old', () => {
  // Local reads 3..4 and writes 4; remote reads 1..2 and writes 2.
  const out = compareManifests(m({ t: [4, 3] }), m({ t: [2, 1] }));
  assert.equal(brief(out), ['t inbound version-too-old', 't outbound version-too-new']);
  assert.equal(out[0].reader, { version: 4, minVersion: 3 });
  assert.is(out[0].sentVersion, 2);
  assert.ok(/add an upcaster from v2/.test(out[0].message));
  assert.ok(/upgrade the remote node first/.test(out[1].message));
  // And seen from the other node, the mirror image.
  assert.equal(brief(compareManifests(m({ t: [2, 1] }), m({ t: [4, 3] }))), ['t inbound version-too-new', 't outbound version-too-old']);
});

test('manifests from two registries compare as a rolling upgrade expects', () => {
  const old = createMessageRegistry().define('order', { version: 1 }).define('ping', { version: 1 });
  const next = createMessageRegistry().define('order', { version: 2, upcasters: { 1: (p) => p } }).define('ping', { version: 1 });
  // The new node reads the old one's v1, but the old node cannot read v2.
  assert.equal(brief(compareManifests(next.manifest(), old.manifest())), ['order outbound version-too-new']);
  // Over the wire.
  const remote = parseManifest(JSON.parse(JSON.stringify(old.manifest())));
  assert.equal(remote, old.manifest());
});

test('parseManifest rejects malformed manifests with malformed-frame', () => {
  const bad: unknown[] = [null, 1, {}, { types: [] }, { types: { a: null } }, { types: { a: { version: 1 } } },
    { types: { a: { version: 1, minVersion: 2 } } }, { types: { a: { version: 0, minVersion: 0 } } }, { types: { a: { version: '1', minVersion: 1 } } }];
  for (const value of bad) {
    try {
      parseManifest(value);
      assert.unreachable(JSON.stringify(value));
    } catch (e) {
      assert.ok(isTroupeError(e, 'malformed-frame'), String(e));
    }
  }
  const proto = parseManifest(JSON.parse('{"types":{"__proto__":{"version":1,"minVersion":1}}}'));
  assert.equal(Object.keys(proto.types), ['__proto__']);
  assert.equal(brief(compareManifests(m({}), proto)), ['__proto__ inbound unknown-type']);
});

test.run();
