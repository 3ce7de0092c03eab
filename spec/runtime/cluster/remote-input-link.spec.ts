// Bad input from a trusted peer over real authenticated links: TCP on loopback, and NATS against
// a real server (skipped, and said so, without TROUPE_NATS_URL unless TROUPE_REQUIRE_SERVICES=1).

import { randomBytes } from 'node:crypto';
import { createNatsTransport } from '../../../runtime/cluster/nats-transport.ts';
import { createTcpTransport } from '../../../runtime/cluster/tcp-transport.ts';
import { remoteInputContract } from '../../helpers/remote-input-contract.ts';
import { serviceUrl } from '../../helpers/services.ts';

const secret = randomBytes(32).toString('base64url');

remoteInputContract('tcp', () => createTcpTransport({ secret }));

const natsUrl = serviceUrl('nats', 'remote input over nats');
if (natsUrl) {
  const subjectPrefix = `troupe-fuzz-${randomBytes(4).toString('hex')}`;
  remoteInputContract('nats', () => createNatsTransport({ servers: natsUrl, secret, subjectPrefix }));
}
