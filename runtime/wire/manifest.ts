// Message manifests: which message types a node reads and writes, at which versions; nodes
// exchange them on connect and report every way the two sides cannot understand each other.

import { TroupeError } from '../errors.ts';

/** The versions of one message type a node handles: it writes `version` and reads `minVersion`…`version`. */
export interface ManifestEntry {
  readonly version: number;
  readonly minVersion: number;
}

/** A node's message types, serializable as JSON (see `MessageRegistry.manifest()`). */
export interface Manifest {
  readonly types: Readonly<Record<string, ManifestEntry>>;
}

/**
 * One way two nodes disagree:
 * - `unknown-type`: the receiving side has no such type at all.
 * - `version-too-new`: the sender writes a version the receiver does not know yet (upgrade the receiver).
 * - `version-too-old`: the sender writes a version below the receiver's `minVersion` (no upcaster; upgrade the sender).
 */
export type IncompatibilityKind = 'unknown-type' | 'version-too-new' | 'version-too-old';

/** `inbound`: messages the remote sends us; `outbound`: messages we send the remote. */
export type IncompatibilityDirection = 'inbound' | 'outbound';

/** One incompatibility, as plain data with a message ready to log. */
export interface ManifestIncompatibility {
  readonly type: string;
  readonly direction: IncompatibilityDirection;
  readonly kind: IncompatibilityKind;
  /** The writer's version; for `unknown-type` the version of the side that knows the type. */
  readonly sentVersion: number;
  /** The reader's entry; absent for `unknown-type`. */
  readonly reader?: ManifestEntry;
  readonly message: string;
}

function check(type: string, direction: IncompatibilityDirection, writer: ManifestEntry, reader: ManifestEntry | undefined): ManifestIncompatibility | undefined {
  const who = direction === 'inbound' ? 'the remote node sends' : 'this node sends';
  const whom = direction === 'inbound' ? 'this node' : 'the remote node';
  if (reader === undefined) {
    return { type, direction, kind: 'unknown-type', sentVersion: writer.version,
      message: `${who} '${type}' v${writer.version} but ${whom} does not know that type; register it there or stop sending it.` };
  }
  if (writer.version > reader.version) {
    return { type, direction, kind: 'version-too-new', sentVersion: writer.version, reader,
      message: `${who} '${type}' v${writer.version} but ${whom} reads up to v${reader.version}; upgrade ${whom} first.` };
  }
  if (writer.version < reader.minVersion) {
    return { type, direction, kind: 'version-too-old', sentVersion: writer.version, reader,
      message: `${who} '${type}' v${writer.version} but ${whom} reads from v${reader.minVersion}; add an upcaster from v${writer.version} there or upgrade the sender.` };
  }
  return undefined;
}

/**
 * Lists every incompatibility between this node's manifest and a peer's, in both directions,
 * sorted by type then direction. An empty list means every type either side writes the other
 * can read. A type neither side sends is never reported.
 *
 * @example
 * compareManifests({ types: { ping: { version: 2, minVersion: 2 } } }, { types: { ping: { version: 1, minVersion: 1 } } })
 * // [{ type: 'ping', direction: 'inbound', kind: 'version-too-old', … }, { type: 'ping', direction: 'outbound', kind: 'version-too-new', … }]
 */
export function compareManifests(local: Manifest, remote: Manifest): ManifestIncompatibility[] {
  const out: ManifestIncompatibility[] = [];
  const types = [...new Set([...Object.keys(local.types), ...Object.keys(remote.types)])].sort();
  for (const type of types) {
    const mine = Object.hasOwn(local.types, type) ? local.types[type] : undefined;
    const theirs = Object.hasOwn(remote.types, type) ? remote.types[type] : undefined;
    const inbound = theirs && check(type, 'inbound', theirs, mine);
    const outbound = mine && check(type, 'outbound', mine, theirs);
    if (inbound) out.push(inbound);
    if (outbound) out.push(outbound);
  }
  return out;
}

const isVersion = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 1;

/**
 * Checks a manifest received from a peer (parsed JSON) and returns it typed. Throws
 * `malformed-frame` when it is not `{ types: { [type]: { version, minVersion } } }` with integer
 * versions ≥ 1 and `minVersion ≤ version`.
 */
export function parseManifest(value: unknown): Manifest {
  const bad = (why: string): TroupeError =>
    new TroupeError('malformed-frame', `Malformed manifest from peer: ${why}. Both nodes must run a Troupe build that speaks the same wire protocol.`);
  if (typeof value !== 'object' || value === null) throw bad('not an object');
  const types = (value as { types?: unknown }).types;
  if (typeof types !== 'object' || types === null || Array.isArray(types)) throw bad('`types` is not an object');
  const out: Record<string, ManifestEntry> = {};
  for (const [type, entry] of Object.entries(types)) {
    const e = entry as { version?: unknown; minVersion?: unknown } | null;
    if (typeof e !== 'object' || e === null || !isVersion(e.version) || !isVersion(e.minVersion) || e.minVersion > e.version) {
      throw bad(`entry for ${JSON.stringify(type)} is not { version, minVersion } with 1 ≤ minVersion ≤ version`);
    }
    // defineProperty keeps a type named `__proto__` an own key instead of a prototype change.
    Object.defineProperty(out, type, { value: { version: e.version, minVersion: e.minVersion }, enumerable: true, writable: true, configurable: true });
  }
  return { types: out };
}
