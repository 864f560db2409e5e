import { request as httpRequest } from 'node:http';

import * as grpc from '@grpc/grpc-js';

import type { auditV1 } from '@flotilla/contracts';
import { CallerIdentity, FORWARDED_FOR_MAX_LENGTH } from '@flotilla/platform/grpc';

import { ADMIN_TOKEN, callerOf } from './backend-doubles';
import { GatewayHarness, startGatewayHarness } from './gateway-harness';
import { GrpcDouble, startGrpcDouble } from './grpc-double-server';

interface Reply {
  status: number;
  body: unknown;
}

/**
 * One JSON request over a real socket from `localAddress` (another loopback address stands for an
 * untrusted client), with X-Forwarded-For sent once per value, as several proxies would.
 */
function send(
  sut: GatewayHarness,
  method: 'GET' | 'POST',
  path: string,
  options: { forwardedFor?: string[]; localAddress?: string; json?: unknown; token?: string },
): Promise<Reply> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string | string[]> = {};
  if (options.forwardedFor) headers['x-forwarded-for'] = options.forwardedFor;
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: sut.port, path, method, headers, localAddress: options.localAddress },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** An audit service double: remembers who queried and answers with the events it is given. */
async function startAuditDouble(items: auditV1.AuditEvent[], callers: CallerIdentity[]): Promise<GrpcDouble> {
  return startGrpcDouble('audit', {
    Query: (
      call: grpc.ServerUnaryCall<auditV1.QueryEventsRequest, auditV1.EventPage>,
      callback: grpc.sendUnaryData<auditV1.EventPage>,
    ) => {
      callers.push(callerOf(call.metadata));
      callback(null, { items, take: 30, nextCursor: '' });
    },
  });
}

const TWO_KB = 'not an address; '.repeat(128);
const STORED_EVENT: auditV1.AuditEvent = {
  id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
  occurredAt: '2025-03-01T10:15:00.123Z',
  actorId: '',
  actorName: 'anonymous',
  action: 'user.login-failed',
  resourceType: 'User',
  resourceId: 'admin',
  details: '{"username":"admin"}',
  clientIp: '203.0.113.9',
  source: 'auth',
  forwardedFor: '203.0.113.9, 127.0.0.1',
  sequenceNumber: 12,
  chainHash: 'a'.repeat(64),
  recordedAt: '2025-03-01T10:15:00.200Z',
  signInMethod: '',
  apiKeyId: '',
  socketPeer: '127.0.0.1',
  nodeName: 'node-1',
  requestId: 'req-7',
  outcome: 'failure',
  projectId: '',
  environmentId: '',
};

describe('gateway client origin (X-Forwarded-For) behind a trusted proxy at 127.0.0.1', () => {
  let sut: GatewayHarness;
  let audit: GrpcDouble;
  const auditCallers: CallerIdentity[] = [];

  beforeAll(async () => {
    audit = await startAuditDouble([STORED_EVENT], auditCallers);
    sut = await startGatewayHarness({
      maxPackageBytes: 1024 * 1024,
      env: { FLOTILLA_TRUSTED_PROXIES: '127.0.0.1', FLOTILLA_AUDIT_GRPC_URL: audit.url },
    });
  });
  afterAll(async () => {
    await sut?.close();
    await audit?.close();
  });

  const failedSignIn = { username: 'admin', password: 'wrong' };

  it('answers a failed sign-in with a 2 KB header 401, passing a valid IP and the cut header to auth', async () => {
    await expect(
      send(sut, 'POST', '/api/users/login', { json: failedSignIn, forwardedFor: [TWO_KB] }),
    ).resolves.toMatchObject({ status: 401 });
    const caller = sut.backends.log.loginCallers.at(-1);
    expect(caller?.clientIp).toBe('127.0.0.1');
    expect(caller?.forwardedFor).toHaveLength(FORWARDED_FOR_MAX_LENGTH);
    // Node trims the header's trailing space: 2,047 characters arrived.
    expect(caller?.forwardedFor).toMatch(/^(not an address; )+.*\.\.\.\[cut, 2047 characters\]\.\.\./);
  });

  it('signs in and creates a project with non-address text in the header, recording only valid IPs', async () => {
    const script = ['<script>x</script>'];
    await expect(
      send(sut, 'POST', '/api/users/login', {
        json: { username: 'admin', password: 'secret' },
        forwardedFor: script,
      }),
    ).resolves.toMatchObject({ status: 200 });
    await expect(
      send(sut, 'POST', '/api/projects', {
        json: { name: 'Origin' },
        forwardedFor: script,
        token: ADMIN_TOKEN,
      }),
    ).resolves.toMatchObject({ status: 201 });

    const origin = { clientIp: '127.0.0.1', forwardedFor: '<script>x</script>' };
    expect(sut.backends.log.loginCallers.at(-1)).toMatchObject(origin);
    expect(sut.backends.log.orchestratorCallers.at(-1)).toMatchObject({ username: 'admin', ...origin });
  });

  it('takes an IPv6 or IPv4-mapped client from the proxy, canonical, and joins repeated headers', async () => {
    await send(sut, 'POST', '/api/users/login', { json: failedSignIn, forwardedFor: ['2001:DB8:0::7'] });
    expect(sut.backends.log.loginCallers.at(-1)).toMatchObject({
      clientIp: '2001:db8::7',
      forwardedFor: '2001:DB8:0::7',
    });
    await send(sut, 'POST', '/api/users/login', {
      json: failedSignIn,
      forwardedFor: ['<script>x</script>', '::ffff:203.0.113.9'],
    });
    expect(sut.backends.log.loginCallers.at(-1)).toMatchObject({
      clientIp: '203.0.113.9',
      forwardedFor: '<script>x</script>, ::ffff:203.0.113.9',
    });
  });

  it('ignores the header of an untrusted peer for the address, but still keeps it raw', async () => {
    await send(sut, 'POST', '/api/users/login', {
      json: failedSignIn,
      forwardedFor: ['203.0.113.9'],
      localAddress: '127.0.0.2',
    });
    expect(sut.backends.log.loginCallers.at(-1)).toMatchObject({
      clientIp: '127.0.0.2',
      forwardedFor: '203.0.113.9',
      socketPeer: '127.0.0.2',
    });
  });

  it('passes the socket peer beside the client the trusted proxy vouched for', async () => {
    await send(sut, 'POST', '/api/users/login', { json: failedSignIn, forwardedFor: ['203.0.113.9'] });
    expect(sut.backends.log.loginCallers.at(-1)).toMatchObject({
      clientIp: '203.0.113.9',
      socketPeer: '127.0.0.1',
    });
  });

  it('carries the bytes of a non-ASCII header as escapes, since gRPC metadata is printable ASCII', async () => {
    await expect(
      send(sut, 'POST', '/api/users/login', { json: failedSignIn, forwardedFor: ['caf\u00e9'] }),
    ).resolves.toMatchObject({ status: 401 });
    expect(sut.backends.log.loginCallers.at(-1)).toMatchObject({
      clientIp: '127.0.0.1',
      // The client sends é as UTF-8; Node reads header bytes as Latin-1, so each byte is one escape.
      forwardedFor: 'caf\\xc3\\xa9',
    });
  });

  it('lists events with clientIp and forwardedFor, field by field', async () => {
    const reply = await send(sut, 'GET', '/api/events', { token: ADMIN_TOKEN, forwardedFor: [TWO_KB] });
    expect(reply).toEqual({
      status: 200,
      body: {
        items: [
          {
            id: STORED_EVENT.id,
            occurredAt: '2025-03-01T10:15:00.123Z',
            actorId: '',
            actorName: 'anonymous',
            action: 'user.login-failed',
            resourceType: 'User',
            resourceId: 'admin',
            details: '{"username":"admin"}',
            clientIp: '203.0.113.9',
            forwardedFor: '203.0.113.9, 127.0.0.1',
            source: 'auth',
            sequenceNumber: 12,
            chainHash: 'a'.repeat(64),
            recordedAt: '2025-03-01T10:15:00.200Z',
            signInMethod: '',
            apiKeyId: '',
            socketPeer: '127.0.0.1',
            nodeName: 'node-1',
            requestId: 'req-7',
            outcome: 'failure',
            projectId: '',
            environmentId: '',
          },
        ],
        take: 30,
      },
    });
    expect(auditCallers.at(-1)?.forwardedFor).toHaveLength(FORWARDED_FOR_MAX_LENGTH);
  });
});
