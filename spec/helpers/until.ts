// Waiting on real processes in multi-process specs: poll a reading until it is good or a limit passes.

/** Polls `read` every 50 ms until `ok`; fails naming `what` with the last value after `limitMs`. */
export async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, limitMs: number): Promise<T> {
  const end = Date.now() + limitMs;
  let v = await read();
  while (!ok(v)) {
    if (Date.now() > end) throw new Error(`${what}: not within ${limitMs} ms (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 50));
    v = await read();
  }
  return v;
}
