import { createSecureContext } from 'node:tls';

import {
  credentials,
  ServerInterceptingCall,
  ServerInterceptor,
  ServerListenerBuilder,
  status,
} from '@grpc/grpc-js';

import { PeerIdentity } from './peer-identity';
import { peerIdentityOfCall, sessionOfCall } from './peer-identity-of-call';
import {
  AuthorizedTestServer,
  callMethod,
  clientTls,
  rawClient,
  RawClient,
  startAuthorizedTestServer,
} from './call-authorization/testing/authorized-server.test-support';
import {
  createTestCa,
  issueTestLeaf,
  TestCa,
  TestLeaf,
} from './call-authorization/testing/test-pki.test-support';

/** What the server's interceptor saw of one call. */
interface Observed {
  identity: PeerIdentity | undefined;
  /** getAuthContext() calls peerIdentityOfCall made for this call (the certificate reads). */
  certificateReads: number;
  sessionFound: boolean;
}

/**
 * The peer identity is read from the certificate once per TLS connection, on real grpc-js servers
 * and clients with mutual TLS: each connection gets its own certificate's identity, and calls on a
 * connection already read do not read the certificate again.
 */
describe('peerIdentityOfCall', () => {
  let ca: TestCa;
  const leaves: Record<string, TestLeaf> = {};
  let server: AuthorizedTestServer;
  const observed: Observed[] = [];
  const clients: RawClient[] = [];

  // Observes the call only: getAuthContext still goes to grpc-js; the count says how often.
  const observing: ServerInterceptor = (_descriptor, call) => {
    let certificateReads = 0;
    const counted = new Proxy(call, {
      get(target, property, receiver) {
        if (property === 'getAuthContext')
          return () => {
            certificateReads += 1;
            return target.getAuthContext();
          };
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const identity = peerIdentityOfCall(counted);
    observed.push({ identity, certificateReads, sessionFound: sessionOfCall(call) !== undefined });
    return new ServerInterceptingCall(call, {
      start: (next) => next(new ServerListenerBuilder().build()),
    });
  };

  beforeAll(async () => {
    ca = await createTestCa();
    for (const identity of ['orchestrator', 'gateway', 'executor'])
      leaves[identity] = await issueTestLeaf(ca, identity);
    server = await startAuthorizedTestServer('orchestrator', [observing], {
      ca,
      leaf: leaves['orchestrator'],
    });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await server.close();
  });

  const connectAs = (identity: string): RawClient => {
    const client = rawClient('orchestrator', server.url, clientTls(ca, leaves[identity]));
    clients.push(client);
    return client;
  };

  it('reaches the TLS connection through grpc-js (else every call would read the certificate again)', async () => {
    observed.length = 0;
    expect((await callMethod('orchestrator', connectAs('gateway'), 'ListProjects')).code).toBe(status.OK);
    expect(observed).toEqual([
      { identity: { service: 'gateway', node: 'node-1' }, certificateReads: 1, sessionFound: true },
    ]);
  });

  it('reads a connection’s certificate once, and each new connection’s own', async () => {
    observed.length = 0;
    const gateway = connectAs('gateway');
    const executor = connectAs('executor');
    for (let round = 0; round < 3; round += 1) {
      expect((await callMethod('orchestrator', gateway, 'ListProjects')).code).toBe(status.OK);
      expect((await callMethod('orchestrator', executor, 'ListProjects')).code).toBe(status.OK);
    }
    expect(observed.map(({ identity }) => identity?.service)).toEqual([
      'gateway',
      'executor',
      'gateway',
      'executor',
      'gateway',
      'executor',
    ]);
    // One read per connection (its first call), none for the calls after it.
    expect(observed.map(({ certificateReads }) => certificateReads)).toEqual([1, 1, 0, 0, 0, 0]);
  });

  it('reads the certificate on every call of a TLS 1.2 connection (renegotiation could change it)', async () => {
    observed.length = 0;
    const tls12 = credentials.createFromSecureContext(
      createSecureContext({
        ca: ca.certificatePem,
        cert: leaves['executor'].certificatePem,
        key: leaves['executor'].privateKeyPem,
        maxVersion: 'TLSv1.2',
      }),
    );
    const client = rawClient('orchestrator', server.url, tls12);
    clients.push(client);
    for (let round = 0; round < 3; round += 1)
      expect((await callMethod('orchestrator', client, 'ListProjects')).code).toBe(status.OK);
    expect(observed.map(({ identity }) => identity?.service)).toEqual(['executor', 'executor', 'executor']);
    expect(observed.map(({ certificateReads }) => certificateReads)).toEqual([1, 1, 1]);
  });
});
