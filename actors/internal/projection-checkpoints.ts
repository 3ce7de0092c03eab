// Projection checkpoints on their own, for non-atomic stores: in memory, or one small file per
// projection replaced atomically (write to a temporary file, fsync, rename).

import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { TroupeError } from '../../runtime/errors.ts';

/** Saves and loads projection checkpoints (the last global position a projection applied). */
export interface CheckpointStore {
  /** The stored checkpoint, 0 when there is none. */
  load(projection: string): Promise<number>;
  save(projection: string, position: number): Promise<void>;
}

/** The `concurrency-conflict` a store raises when the stored checkpoint is not the one the projection read from. */
export function conflict(projection: string, expected: number, actual: number): TroupeError {
  return new TroupeError('concurrency-conflict',
    `Projection "${projection}" expected its checkpoint at ${expected} but the store has ${actual}: another instance of the projection is running, ` +
    'or the store was changed under it. Run one instance per projection name; this one restarts and resumes from the stored checkpoint.',
    { projection, expectedVersion: expected, actualVersion: actual });
}

/** Checkpoints held in memory (lost with the process), for tests and throwaway projections. */
export function createMemoryCheckpoints(): CheckpointStore {
  const saved = new Map<string, number>();
  return {
    load: async (projection) => saved.get(projection) ?? 0,
    save: async (projection, position) => { saved.set(projection, position); },
  };
}

/**
 * Checkpoints in `dir` (created if missing), one file per projection. A save writes a temporary
 * file, fsyncs it and renames it over the old one, so a crash leaves the old or the new value.
 * @example const checkpoints = await createFileCheckpoints('./data/checkpoints');
 */
export async function createFileCheckpoints(dir: string): Promise<CheckpointStore> {
  await mkdir(dir, { recursive: true });
  const fileOf = (projection: string): string => join(dir, `${encodeURIComponent(projection)}.checkpoint`);
  return {
    async load(projection) {
      let text: string;
      try {
        text = await readFile(fileOf(projection), 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw e;
      }
      const n = Number(text.trim());
      if (!Number.isSafeInteger(n) || n < 0) {
        throw new TroupeError('corrupt-record', `The checkpoint file of projection "${projection}" holds ${JSON.stringify(text.slice(0, 40))}, not a position; delete it to rebuild the projection from the start.`, { projection });
      }
      return n;
    },
    async save(projection, position) {
      const file = fileOf(projection);
      const tmp = `${file}.tmp`;
      const h = await open(tmp, 'w');
      try {
        await h.writeFile(`${position}\n`);
        await h.sync();
      } finally {
        await h.close();
      }
      await rename(tmp, file);
    },
  };
}
