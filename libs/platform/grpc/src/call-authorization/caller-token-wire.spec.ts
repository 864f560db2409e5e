import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  Metadata,
  ServerInterceptingCall,
  ServerInterceptor,
  ServerListenerBuilder,
  status,
} from '@grpc/grpc-js';

import {
  CALLER_TOKEN_METADATA_KEY,
  CallerIdentity,
  GRANTS_METADATA_KEY,
  identityToMetadata,
} from '../caller-identity';
import { CallerTokenMinter } from './caller-token-minter';
import { MAX_CALLER_TOKEN_SCOPE_IDS } from './caller-token-scope';
import { callerTokenClientInterceptors, serverCallInterceptors } from './index';
import { disableCallerTokenMinting, enableCallerTokenMinting, withCallerToken } from './client-caller-token';
import {
  AuthorizedTestServer,
  callMethod,
  clientTls,
  rawClient,
  startAuthorizedTestServer,
} from './testing/authorized-server.test-support';
import { writeTestCallerTokenKey } from './testing/test-caller-token-keys.test-support';
import { createTestCa, issueTestLeaf, TestCa, TestLeaf } from './testing/test-pki.test-support';

/** Metadata as it reached the port, before the call authorization strips and sets identity keys. */
function recordingInterceptor(received: Metadata[]): ServerInterceptor {
  return (_descriptor, call) =>
    new ServerInterceptingCall(call, {
      start: (next) =>
        next(
          new ServerListenerBuilder()
            .withOnReceiveMetadata((metadata, onward) => {
              received.push(metadata.clone());
              onward(metadata);
            })
            .build(),
        ),
    });
}

/** What the metadata weighs as HTTP/2 counts a header list: name + value + 32 octets each. */
function headerListSize(metadata: Metadata): number {
  return Object.entries(metadata.toJSON()).reduce(
    (size, [key, values]) =>
      size + values.reduce((sum, value) => sum + key.length + String(value).length + 32, 0),
    0,
  );
}

const user = (grants: CallerIdentity['grants']): CallerIdentity => ({
  userId: 'user-wide',
  username: 'wide',
  clientIp: '198.51.100.4',
  permissions: ['ProjectView', 'ReleaseCreate'],
  requestId: 'req-wide',
  ...(grants ? { grants } : {}),
});

/**
 * A user whose teams are scoped to a thousand projects, on a real grpc-js server over mutual TLS:
 * the call goes through with the grants once, inside the token; beyond the bound nothing is sent.
 */
describe('caller tokens of wide team scopes on the wire', () => {
  let pkiDir: string;
  let ca: TestCa;
  let gatewayLeaf: TestLeaf;
  let orchestrator: AuthorizedTestServer;
  const received: Metadata[] = [];

  beforeAll(async () => {
    pkiDir = mkdtempSync(join(tmpdir(), 'flotilla-token-wire-'));
    writeTestCallerTokenKey(pkiDir, 'kid-w');
    enableCallerTokenMinting(CallerTokenMinter.fromPkiDir(pkiDir));
    ca = await createTestCa();
    gatewayLeaf = await issueTestLeaf(ca, 'gateway');
    orchestrator = await startAuthorizedTestServer(
      'orchestrator',
      [recordingInterceptor(received), ...serverCallInterceptors('orchestrator', { pkiDir })],
      { ca, leaf: await issueTestLeaf(ca, 'orchestrator') },
    );
  });

  afterAll(async () => {
    disableCallerTokenMinting();
    await orchestrator.close();
    rmSync(pkiDir, { recursive: true, force: true });
  });

  const gatewayClient = () =>
    rawClient(
      'orchestrator',
      orchestrator.url,
      clientTls(ca, gatewayLeaf),
      callerTokenClientInterceptors('orchestrator'),
    );

  it('takes a user scoped to 1,000 projects through, the grants only inside the token', async () => {
    const projects = Array.from({ length: 1000 }, () => randomUUID());
    const wide = user([
      { permissions: ['ProjectView'], projectIds: projects },
      { permissions: ['ReleaseCreate'], projectIds: projects.slice(0, 500), environmentIds: ['e-staging'] },
    ]);
    const client = gatewayClient();
    try {
      const metadata = identityToMetadata(wide);
      // Plain identity keys never travel beside a token; other metadata does, as it is.
      metadata.set('x-flotilla-forged', '1');
      metadata.set('x-test-marker', '1');
      expect(await callMethod('orchestrator', client, 'ListProjects', metadata)).toMatchObject({
        code: status.OK,
      });
      // The caller's metadata object is left as it was (callers reuse them).
      expect(metadata.get(GRANTS_METADATA_KEY)).toHaveLength(1);
    } finally {
      client.close();
    }
    const raw = received[received.length - 1];
    expect(raw.get('x-test-marker')).toEqual(['1']);
    expect(raw.get('x-flotilla-forged')).toEqual([]);
    expect(raw.get(GRANTS_METADATA_KEY)).toEqual([]);
    expect(Object.keys(raw.getMap()).filter((key) => key.startsWith('x-flotilla-'))).toEqual([
      'x-flotilla-request-id',
      CALLER_TOKEN_METADATA_KEY,
    ]);
    const token = raw.get(CALLER_TOKEN_METADATA_KEY)[0] as string;
    expect(token.length).toBeLessThan(31_000);
    expect(headerListSize(raw)).toBeLessThan(token.length + 2_000);
    const seen = orchestrator.seen[orchestrator.seen.length - 1];
    expect(seen).toMatchObject({ userId: wide.userId, permissions: wide.permissions });
    expect(seen?.grants?.map((grant) => new Set(grant.projectIds))).toEqual(
      wide.grants?.map((grant) => new Set(grant.projectIds)),
    );
    expect(seen?.grants?.[1]?.environmentIds).toEqual(['e-staging']);
  });

  it('sends nothing for a user beyond the bound, and says why with the numbers', async () => {
    const projects = Array.from({ length: MAX_CALLER_TOKEN_SCOPE_IDS + 1 }, () => randomUUID());
    const before = received.length;
    const client = gatewayClient();
    try {
      const outcome = await callMethod(
        'orchestrator',
        client,
        'ListProjects',
        identityToMetadata(user([{ permissions: ['ProjectView'], projectIds: projects }])),
      );
      expect(outcome).toEqual({
        code: status.PERMISSION_DENIED,
        details: expect.stringContaining(
          `list ${MAX_CALLER_TOKEN_SCOPE_IDS + 1} distinct projects and environments over 1 scoped grants; the limit is ${MAX_CALLER_TOKEN_SCOPE_IDS}`,
        ) as unknown,
      });
    } finally {
      client.close();
    }
    expect(received.length).toBe(before);
  });

  it('forwards a received token with the request id, without the plain keys a service set for its handler', () => {
    const identity = {
      ...user([{ permissions: ['ProjectView'], projectIds: ['p-1'] }]),
      callerToken: 'a.b.c',
    };
    const incoming = identityToMetadata(identity);
    const outgoing = withCallerToken(incoming, 'artifacts');
    expect(outgoing.get(CALLER_TOKEN_METADATA_KEY)).toEqual(['a.b.c']);
    expect(outgoing.get(GRANTS_METADATA_KEY)).toEqual([]);
    expect(outgoing.get('x-flotilla-request-id')).toEqual([identity.requestId]);
    expect(outgoing.get('x-flotilla-user-id')).toEqual([]);
    expect(outgoing.get('x-flotilla-permissions')).toEqual([]);
    expect(incoming.get(GRANTS_METADATA_KEY)).toHaveLength(1);
  });
});
