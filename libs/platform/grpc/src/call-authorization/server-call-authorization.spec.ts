import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { status } from '@grpc/grpc-js';
import { SignJWT } from 'jose';

import { CallerIdentity, identityToMetadata } from '../caller-identity';
import { readCallerTokenSigningKey } from './caller-token-keys';
import { CallerTokenMinter } from './caller-token-minter';
import { callerTokenClientInterceptors, serverCallInterceptors } from './index';
import { disableCallerTokenMinting, enableCallerTokenMinting } from './client-caller-token';
import {
  AuthorizedTestServer,
  callMethod,
  clientTls,
  rawClient,
  startAuthorizedTestServer,
} from './testing/authorized-server.test-support';
import { writeTestCallerTokenKey } from './testing/test-caller-token-keys.test-support';
import { createTestCa, issueTestLeaf, TestCa, TestLeaf } from './testing/test-pki.test-support';

const admin: CallerIdentity = {
  userId: 'user-admin',
  username: 'admin',
  clientIp: '198.51.100.4',
  permissions: ['AdministerSystem', 'TaskView', 'FeedView', 'ReleaseCreate'],
  requestId: 'req-42',
};

/**
 * The server side of the call authorization on real grpc-js servers with mutual TLS (certificates
 * made here): the peer certificate and the caller token are what count, plain metadata is not.
 */
describe('server call authorization', () => {
  let pkiDir: string;
  let ca: TestCa;
  const leaves: Record<string, TestLeaf> = {};
  let minter: CallerTokenMinter;
  let orchestrator: AuthorizedTestServer;
  let artifacts: AuthorizedTestServer;
  let plaintextAudit: AuthorizedTestServer;

  beforeAll(async () => {
    // The jest setup lets test code mint as the gateway does; these specs choose per test.
    disableCallerTokenMinting();
    pkiDir = mkdtempSync(join(tmpdir(), 'flotilla-call-authz-'));
    writeTestCallerTokenKey(pkiDir, 'kid-a');
    minter = CallerTokenMinter.fromPkiDir(pkiDir);
    ca = await createTestCa();
    for (const identity of ['gateway', 'executor', 'orchestrator', 'artifacts', 'auth', 'operator']) {
      leaves[identity] = await issueTestLeaf(ca, identity);
    }
    const tls = (service: string) => ({ ca, leaf: leaves[service] });
    orchestrator = await startAuthorizedTestServer(
      'orchestrator',
      serverCallInterceptors('orchestrator', { pkiDir }),
      tls('orchestrator'),
    );
    artifacts = await startAuthorizedTestServer(
      'artifacts',
      serverCallInterceptors('artifacts', { pkiDir }),
      tls('artifacts'),
    );
    plaintextAudit = await startAuthorizedTestServer('audit', serverCallInterceptors('audit', { pkiDir }));
  });

  afterAll(async () => {
    disableCallerTokenMinting();
    await Promise.all([orchestrator.close(), artifacts.close(), plaintextAudit.close()]);
    rmSync(pkiDir, { recursive: true, force: true });
  });

  const orchestratorAs = (identity: string) =>
    rawClient('orchestrator', orchestrator.url, clientTls(ca, leaves[identity]));
  const withToken = (identity: CallerIdentity, audience: string) => {
    const metadata = identityToMetadata(identity);
    metadata.set('x-flotilla-caller-token', minter.mint(identity, audience));
    return metadata;
  };
  const lastSeen = (server: AuthorizedTestServer) => server.seen[server.seen.length - 1];

  it('refuses a call without a client certificate, whatever identity its metadata claims', async () => {
    const client = rawClient('audit', plaintextAudit.url);
    const outcome = await callMethod('audit', client, 'Record', identityToMetadata(admin));
    client.close();
    expect(outcome).toEqual({
      code: status.UNAUTHENTICATED,
      details: expect.stringMatching(
        /AuditService\/Record: calls need a client certificate from the cluster CA/,
      ) as string,
    });
    expect(plaintextAudit.seen).toEqual([]);
  });

  it('ignores identity metadata without a token: the handler sees the peer service, and policies judge that', async () => {
    const client = orchestratorAs('gateway');
    const forged = identityToMetadata(admin);
    forged.set('x-flotilla-request-id', 'forged');
    expect(await callMethod('orchestrator', client, 'UpdateNode', forged)).toEqual({
      code: status.PERMISSION_DENIED,
      details:
        'OrchestratorService/UpdateNode may be called by gateway for a user with AdministerSystem, or operator on its own; this call came from gateway on its own',
    });
    expect(await callMethod('orchestrator', client, 'Heartbeat', identityToMetadata(admin))).toMatchObject({
      code: status.OK,
    });
    expect(lastSeen(orchestrator)).toMatchObject({ userId: 'system:gateway', permissions: [] });
    client.close();
  });

  it("keeps the gateway's word on where a request came from, before there is a user (sign-in), and nobody else's", async () => {
    const gateway = orchestratorAs('gateway');
    const origin = identityToMetadata({ ...admin, forwardedFor: '198.51.100.4, 10.0.0.1' });
    expect(await callMethod('orchestrator', gateway, 'Heartbeat', origin)).toMatchObject({ code: status.OK });
    expect(lastSeen(orchestrator)).toEqual({
      userId: 'system:gateway',
      username: 'system:gateway',
      clientIp: '198.51.100.4',
      forwardedFor: '198.51.100.4, 10.0.0.1',
      permissions: [],
      requestId: 'req-42',
    });
    gateway.close();
    const executor = orchestratorAs('executor');
    expect(await callMethod('orchestrator', executor, 'Heartbeat', identityToMetadata(admin))).toMatchObject({
      code: status.OK,
    });
    expect(lastSeen(orchestrator)).toEqual({
      userId: 'system:executor',
      username: 'system:executor',
      clientIp: '',
      permissions: [],
    });
    executor.close();
  });

  it('takes the user from a valid token for this service, carrying the token for onward calls', async () => {
    const client = orchestratorAs('gateway');
    const metadata = withToken(admin, 'orchestrator');
    // Metadata beside the token claiming more counts for nothing.
    metadata.set('x-flotilla-permissions', 'Everything');
    expect(await callMethod('orchestrator', client, 'UpdateNode', metadata)).toMatchObject({
      code: status.OK,
    });
    expect(lastSeen(orchestrator)).toEqual({
      ...admin,
      callerToken: metadata.get('x-flotilla-caller-token')[0],
    });
    client.close();
  });

  it('refuses, not downgrades, a forged, expired or misdirected token', async () => {
    const client = orchestratorAs('gateway');
    const { privateKey } = generateKeyPairSync('ed25519');
    const forged = identityToMetadata(admin);
    forged.set(
      'x-flotilla-caller-token',
      new CallerTokenMinter({ kid: 'kid-a', privateKey }).mint(admin, 'orchestrator'),
    );
    const expired = identityToMetadata(admin);
    expired.set(
      'x-flotilla-caller-token',
      minter.mint(admin, 'orchestrator', Math.floor(Date.now() / 1000) - 120),
    );
    const misdirected = withToken(admin, 'auth');
    const garbage = identityToMetadata(admin);
    garbage.set('x-flotilla-caller-token', 'not.a.token');
    const outcomes = await Promise.all(
      [forged, expired, misdirected, garbage].map((metadata) =>
        callMethod('orchestrator', client, 'Heartbeat', metadata),
      ),
    );
    expect(outcomes.map((outcome) => outcome.code)).toEqual(Array(4).fill(status.UNAUTHENTICATED));
    expect(outcomes.map((outcome) => outcome.details)).toEqual([
      expect.stringMatching(/Heartbeat: The caller token's signature is not valid/),
      expect.stringMatching(/expired/),
      expect.stringMatching(/for another service \(audience\)/),
      expect.stringMatching(/malformed/),
    ]);
    client.close();
  });

  it('takes task claims from an executor certificate only', async () => {
    const executor = orchestratorAs('executor');
    expect(await callMethod('orchestrator', executor, 'ClaimTask')).toMatchObject({ code: status.OK });
    expect(lastSeen(orchestrator)?.userId).toBe('system:executor');
    executor.close();
    const gateway = orchestratorAs('gateway');
    expect(
      await callMethod('orchestrator', gateway, 'ClaimTask', withToken(admin, 'orchestrator')),
    ).toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    gateway.close();
  });

  it('takes the request id from beside the token, and a token of an earlier release keeps its own', async () => {
    const client = orchestratorAs('gateway');
    const metadata = withToken(admin, 'orchestrator');
    metadata.set('x-flotilla-request-id', 'req-beside');
    expect(await callMethod('orchestrator', client, 'UpdateNode', metadata)).toMatchObject({
      code: status.OK,
    });
    expect(lastSeen(orchestrator)).toMatchObject({ userId: admin.userId, requestId: 'req-beside' });
    // An earlier gateway signed the request id into the token: that one stands.
    const { privateKey, kid } = readCallerTokenSigningKey(pkiDir);
    const now = Math.floor(Date.now() / 1000);
    const earlier = await new SignJWT({
      username: admin.username,
      clientIp: admin.clientIp,
      permissions: [...admin.permissions],
      requestId: 'req-signed',
    })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'flotilla-caller+jwt' })
      .setIssuer('flotilla-gateway')
      .setSubject(admin.userId)
      .setAudience('orchestrator')
      .setIssuedAt(now)
      .setExpirationTime(now + 30)
      .sign(privateKey);
    metadata.set('x-flotilla-caller-token', earlier);
    expect(await callMethod('orchestrator', client, 'UpdateNode', metadata)).toMatchObject({
      code: status.OK,
    });
    expect(lastSeen(orchestrator)).toMatchObject({ userId: admin.userId, requestId: 'req-signed' });
    client.close();
  });

  it('accepts a token forwarded by the service it was made for, and by no other', async () => {
    const token = withToken(admin, 'orchestrator');
    const fromOrchestrator = rawClient('artifacts', artifacts.url, clientTls(ca, leaves['orchestrator']));
    expect(await callMethod('artifacts', fromOrchestrator, 'GetPackage', token)).toMatchObject({
      code: status.OK,
    });
    expect(lastSeen(artifacts)).toMatchObject({ userId: admin.userId, requestId: 'req-42' });
    fromOrchestrator.close();
    const fromExecutor = rawClient('artifacts', artifacts.url, clientTls(ca, leaves['executor']));
    expect(await callMethod('artifacts', fromExecutor, 'GetPackage', token)).toMatchObject({
      code: status.UNAUTHENTICATED,
      details: expect.stringMatching(/another service/) as string,
    });
    fromExecutor.close();
  });

  it('refuses a client stream before its handler runs', async () => {
    const before = artifacts.seen.length;
    const client = rawClient('artifacts', artifacts.url, clientTls(ca, leaves['gateway']));
    expect(
      await callMethod('artifacts', client, 'UploadPackage', withToken(admin, 'artifacts')),
    ).toMatchObject({
      code: status.PERMISSION_DENIED,
      details: expect.stringMatching(
        /UploadPackage may be called by gateway for a user with BuiltInFeedPush/,
      ) as string,
    });
    expect(artifacts.seen.length).toBe(before);
    client.close();
  });

  it('in a process that mints (the gateway), turns the outgoing identity into a token for the target', async () => {
    enableCallerTokenMinting(minter);
    const client = rawClient(
      'orchestrator',
      orchestrator.url,
      clientTls(ca, leaves['gateway']),
      callerTokenClientInterceptors('orchestrator'),
    );
    expect(await callMethod('orchestrator', client, 'RemoveNode', identityToMetadata(admin))).toMatchObject({
      code: status.OK,
    });
    expect(lastSeen(orchestrator)).toMatchObject({ userId: admin.userId, permissions: admin.permissions });
    // The same metadata object again: a fresh token, not the first call's baked in.
    const reused = identityToMetadata(admin);
    expect(await callMethod('orchestrator', client, 'RemoveNode', reused)).toMatchObject({ code: status.OK });
    expect(reused.get('x-flotilla-caller-token')).toEqual([]);
    // A process identity is never turned into a token: it stays the peer's own call.
    expect(
      await callMethod(
        'orchestrator',
        client,
        'Heartbeat',
        identityToMetadata({ ...admin, userId: 'system:gateway' }),
      ),
    ).toMatchObject({ code: status.OK });
    expect(lastSeen(orchestrator)?.userId).toBe('system:gateway');
    client.close();
    disableCallerTokenMinting();
  });

  it('fails a call it cannot sign a token for, naming why, and sends nothing', async () => {
    // A key that cannot make an EdDSA signature: minting throws inside the client interceptor.
    const notEd25519 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    enableCallerTokenMinting(new CallerTokenMinter({ kid: 'kid-ec', privateKey: notEd25519 }));
    const before = orchestrator.seen.length;
    const client = rawClient(
      'orchestrator',
      orchestrator.url,
      clientTls(ca, leaves['gateway']),
      callerTokenClientInterceptors('orchestrator'),
    );
    try {
      expect(await callMethod('orchestrator', client, 'RemoveNode', identityToMetadata(admin))).toEqual({
        code: status.INTERNAL,
        // fast-jwt's own words about the key follow.
        details: expect.stringMatching(
          /^Could not sign the caller token for orchestrator: .*(ed25519|EdDSA)/i,
        ) as unknown,
      });
      expect(orchestrator.seen.length).toBe(before);
    } finally {
      client.close();
      disableCallerTokenMinting();
    }
  });

  it('in a process that cannot mint, sends no token: the user is not believed', async () => {
    const client = rawClient(
      'orchestrator',
      orchestrator.url,
      clientTls(ca, leaves['gateway']),
      callerTokenClientInterceptors('orchestrator'),
    );
    expect(await callMethod('orchestrator', client, 'RemoveNode', identityToMetadata(admin))).toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    client.close();
  });

  it('refuses more than one token', async () => {
    const client = orchestratorAs('gateway');
    const metadata = withToken(admin, 'orchestrator');
    metadata.add(
      'x-flotilla-caller-token',
      minter.mint({ ...admin, userId: 'someone-else' }, 'orchestrator'),
    );
    expect(await callMethod('orchestrator', client, 'GetNode', metadata)).toMatchObject({
      code: status.UNAUTHENTICATED,
    });
    client.close();
  });
});
