// Test certificates made with the `openssl` command at spec time into a temp dir: a CA, node
// certificates it signs (for 127.0.0.1 and localhost), and a rogue certificate from another CA.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A key and certificate in PEM. */
export interface TestIdentity {
  readonly key: string;
  readonly cert: string;
}

/** Everything {@link makeTestCerts} made; `ca` signs `a` and `b`, `rogueCa` signs `rogue`. */
export interface TestCerts {
  readonly ca: string;
  readonly a: TestIdentity;
  readonly b: TestIdentity;
  readonly rogueCa: string;
  readonly rogue: TestIdentity;
}

/** True when the `openssl` command runs here (it ships with Debian; specs skip without it). */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Makes fresh P-256 certificates, valid for two days, in a temp dir it removes afterwards. Node
 * certificates name `IP:127.0.0.1` and `DNS:localhost` and may serve and connect (serverAuth,
 * clientAuth), so one identity works on both ends of a link.
 */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-certs-'));
  const run = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }); };
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  try {
    writeFileSync(join(dir, 'node.ext'), [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth,clientAuth',
    ].join('\n'));
    const ca = (name: string): void => run('req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2',
      '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    const leaf = (name: string, signer: string, serial: number): TestIdentity => {
      run('req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      run('x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.crt`, '-CAkey', `${signer}.key`, '-set_serial', String(serial),
        '-out', `${name}.crt`, '-days', '2', '-extfile', 'node.ext');
      return { key: read(`${name}.key`), cert: read(`${name}.crt`) };
    };
    ca('troupe-test-ca');
    ca('rogue-ca');
    return {
      ca: read('troupe-test-ca.crt'),
      a: leaf('node-a', 'troupe-test-ca', 1001),
      b: leaf('node-b', 'troupe-test-ca', 1002),
      rogueCa: read('rogue-ca.crt'),
      rogue: leaf('rogue', 'rogue-ca', 1003),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
