// The message registry: every message type a node sends or receives remotely, its current
// version, its validator and the upcasters that lift older versions to the current one.

import { TroupeError } from '../errors.ts';
import type { Manifest, ManifestEntry } from './manifest.ts';

/** Checks a payload of the current version: `true` when valid, `false` or a reason when not. */
export type PayloadValidator = (payload: unknown) => boolean | string;

/**
 * What an upcaster receives: a payload of an older version as it was stored or sent — plain
 * data, an object whose fields are not checked yet (read them as `unknown`, or spread them).
 */
export type UpcasterInput = Readonly<Record<string, unknown>>;

/**
 * Lifts a payload of version `n` to version `n + 1`, e.g. `(p) => ({ ...p, currency: 'EUR' })`.
 * It is only called with an object (a payload that is not one is `schema-invalid`); what it
 * returns is the next upcaster's input, and the last one's is checked by `validate`.
 */
export type Upcaster = (payload: UpcasterInput) => unknown;

/**
 * How one remote message type is declared.
 *
 * - `version`: the version this node writes, an integer ≥ 1.
 * - `validate`: run on every decoded payload after upcasting; default: none (everything passes).
 * - `upcasters`: `{ n: payload_n → payload_(n+1) }`. Keys must form a gap-free run ending at
 *   `version − 1`; the lowest key is the oldest version this node still reads (`minVersion`).
 *   Default: none, so only `version` itself is read.
 */
export interface MessageTypeSpec {
  readonly version: number;
  readonly validate?: PayloadValidator;
  readonly upcasters?: Readonly<Record<number, Upcaster>>;
}

/** The registry of a node's remote message types; see {@link createMessageRegistry}. */
export interface MessageRegistry {
  /**
   * Declares `type`. Throws `duplicate-name` when it is already declared and `invalid-spec`
   * when the version or the upcasters are not as {@link MessageTypeSpec} says. Returns the registry.
   */
  define(type: string, spec: MessageTypeSpec): MessageRegistry;
  /** True when `type` is declared. */
  has(type: string): boolean;
  /** The version this node writes for `type` (stamp it as `typeVersion`); `unknown-message-type` if undeclared. */
  versionOf(type: string): number;
  /**
   * Turns a received payload of `type` at `version` into a current-version payload: runs the
   * upcasters from `version` up, then the validator. Throws `unknown-message-type`,
   * `unsupported-version` (newer than this node knows, or older than its oldest upcaster), or
   * `schema-invalid` (a payload to upcast is not an object, an upcaster threw, or the validator said no).
   */
  decode(type: string, version: number, payload: unknown): unknown;
  /** The declared types as plain data, ready to send to a peer (types sorted by name). */
  manifest(): Manifest;
}

interface Entry {
  readonly version: number;
  readonly minVersion: number;
  readonly validate: PayloadValidator | undefined;
  readonly chain: readonly Upcaster[]; // chain[i] lifts version minVersion + i
}

function invalidSpec(type: string, why: string): TroupeError {
  return new TroupeError('invalid-spec', `Message type '${type}': ${why}.`, { type });
}

function buildEntry(type: string, spec: MessageTypeSpec): Entry {
  const { version, validate, upcasters = {} } = spec;
  if (!Number.isSafeInteger(version) || version < 1) throw invalidSpec(type, `version must be an integer ≥ 1, got ${version}`);
  if (validate !== undefined && typeof validate !== 'function') throw invalidSpec(type, 'validate must be a function');
  const keys = Object.keys(upcasters).map(Number).sort((a, b) => a - b);
  for (const k of keys) {
    if (!Number.isSafeInteger(k) || k < 1 || k >= version) {
      throw invalidSpec(type, `upcaster key ${k} must be an integer version in 1…${version - 1} (the upcaster for n lifts v n to v n+1)`);
    }
    if (typeof upcasters[k] !== 'function') throw invalidSpec(type, `upcaster ${k} must be a function`);
  }
  const minVersion = keys.length > 0 ? keys[0] : version;
  for (let n = minVersion; n < version; n++) {
    if (!(n in upcasters)) throw invalidSpec(type, `upcaster ${n} is missing, so v${minVersion} cannot reach v${version}; add it or drop the older upcasters`);
  }
  const chain: Upcaster[] = [];
  for (let n = minVersion; n < version; n++) chain.push(upcasters[n]);
  return { version, minVersion, validate, chain };
}

/**
 * Creates an empty registry.
 *
 * @example
 * const registry = createMessageRegistry()
 *   .define('order.placed', {
 *     version: 2,
 *     upcasters: { 1: (p) => ({ ...p, currency: 'EUR' }) },
 *     validate: (p) => typeof (p as { sku?: unknown }).sku === 'string' || 'sku must be a string',
 *   });
 * registry.decode('order.placed', 1, { sku: 'A1' }) // { sku: 'A1', currency: 'EUR' }
 */
export function createMessageRegistry(): MessageRegistry {
  const entries = new Map<string, Entry>();

  const lookup = (type: string): Entry => {
    const e = entries.get(type);
    if (e === undefined) {
      throw new TroupeError('unknown-message-type',
        `No message type '${type}' is registered on this node; define it in the message registry (and deploy it) before peers send it.`, { type });
    }
    return e;
  };

  const registry: MessageRegistry = {
    define(type, spec) {
      if (typeof type !== 'string' || type.length === 0) throw new TroupeError('invalid-spec', 'A message type name must be a non-empty string.', { type });
      if (entries.has(type)) throw new TroupeError('duplicate-name', `Message type '${type}' is already defined; define each type once, with all its upcasters.`, { type });
      entries.set(type, buildEntry(type, spec));
      return registry;
    },
    has: (type) => entries.has(type),
    versionOf: (type) => lookup(type).version,
    decode(type, version, payload) {
      const e = lookup(type);
      if (!Number.isSafeInteger(version) || version > e.version || version < e.minVersion) {
        const why = !Number.isSafeInteger(version) || version < 1 ? 'is not a valid version'
          : version > e.version ? `is newer than v${e.version}, the newest this node knows; upgrade this node`
          : `is older than v${e.minVersion}, the oldest this node can upcast; add an upcaster from v${version}`;
        throw new TroupeError('unsupported-version', `Message '${type}' v${version} ${why}.`,
          { type, version, currentVersion: e.version, minVersion: e.minVersion });
      }
      let p = payload;
      for (let n = version; n < e.version; n++) {
        if (typeof p !== 'object' || p === null) {
          throw new TroupeError('schema-invalid', `Upcasting '${type}' from v${n} to v${n + 1} needs an object payload, got ${p === null ? 'null' : typeof p}. The payload does not match v${n}.`,
            { type, version, failedAt: n });
        }
        try {
          p = e.chain[n - e.minVersion](p as UpcasterInput);
        } catch (cause) {
          throw new TroupeError('schema-invalid', `Upcasting '${type}' from v${n} to v${n + 1} failed: ${(cause as Error)?.message ?? String(cause)}. The payload does not match v${n}.`,
            { type, version, failedAt: n }, { cause });
        }
      }
      if (e.validate !== undefined) {
        let verdict: boolean | string;
        try {
          verdict = e.validate(p);
        } catch (cause) {
          verdict = `validator threw: ${(cause as Error)?.message ?? String(cause)}`;
        }
        if (verdict !== true) {
          const reason = typeof verdict === 'string' ? verdict : 'rejected by its validator';
          throw new TroupeError('schema-invalid', `Message '${type}' v${e.version} payload is invalid: ${reason}.`, { type, version, reason });
        }
      }
      return p;
    },
    manifest() {
      const types: Record<string, ManifestEntry> = {};
      for (const type of [...entries.keys()].sort()) {
        const e = entries.get(type) as Entry;
        // defineProperty keeps a type named `__proto__` an own key instead of a prototype change.
        Object.defineProperty(types, type, { value: { version: e.version, minVersion: e.minVersion }, enumerable: true, writable: true, configurable: true });
      }
      return { types };
    },
  };
  return registry;
}
