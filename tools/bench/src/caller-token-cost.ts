import { generateKeyPairSync, KeyObject, randomUUID, sign, verify } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect, createServer, TLSSocket } from 'node:tls';

import { jwtVerify, SignJWT } from 'jose';

import { ALL_PERMISSIONS } from '@flotilla/api-interfaces';
import {
  CALLER_TOKEN_CLOCK_SKEW_S,
  CALLER_TOKEN_ISSUER,
  CALLER_TOKEN_TYPE,
  CallerTokenMinter,
  CallerTokenVerifier,
  MAX_CALLER_TOKEN_LIFETIME_S,
  peerIdentityFromCertificate,
  peerIdentityOfCall,
  readCallerTokenSigningKey,
  TrustedCallerTokenKeys,
} from '@flotilla/platform/grpc';

import { formatTable } from './report';

/**
 * The security work of one gRPC call made for a REST request, step by step, each measured in a
 * loop in this process (CPU time of all threads, so work jose hands to libuv's pool counts too):
 * - the caller token: the product's mint + verify (fast-jwt, synchronous) beside the same token
 *   made and checked with jose's SignJWT/jwtVerify (what the product did before: its signatures
 *   wait for libuv's thread pool), and bare Ed25519 sign + verify of the same bytes, inline and
 *   on the thread pool (the floor, and what the hand-offs alone cost);
 * - the peer identity: getPeerCertificate() + SAN parse on every call (what grpc-js's
 *   getAuthContext() costs) beside the product's peerIdentityOfCall (once per TLS connection).
 * The variants alternate in rounds, so a machine whose load changes meanwhile changes them alike.
 * Run:
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/src/caller-token-cost.ts [count]
 */

interface Step {
  name: string;
  run(): unknown;
}

/** CPU µs (user + system, all threads) and wall µs per run of `step`, over `count` runs. */
async function measure(step: Step, count: number): Promise<{ cpuUs: number; wallUs: number }> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let index = 0; index < count; index += 1) await step.run();
  const wallUs = Number(process.hrtime.bigint() - started) / 1000 / count;
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / count, wallUs };
}

/** A TLS 1.3 connection with a client certificate naming a Flotilla identity, as a service sees it. */
async function tlsPeer(folder: string): Promise<{ socket: TLSSocket; close(): void }> {
  const key = join(folder, 'peer.key');
  const certificate = join(folder, 'peer.crt');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-keyout', key, '-out', certificate, '-subj', '/CN=gateway',
    '-addext', 'subjectAltName=URI:spiffe://flotilla.internal/gateway/bench,DNS:gateway.flotilla.internal',
  ], { stdio: 'ignore' }); // prettier-ignore
  const tls = { key: readFileSync(key), cert: readFileSync(certificate), ca: readFileSync(certificate) };
  return new Promise((resolve, reject) => {
    const server = createServer({ ...tls, requestCert: true, rejectUnauthorized: true }, (socket) =>
      resolve({
        socket,
        close: () => {
          client.destroy();
          socket.destroy();
          server.close();
        },
      }),
    );
    let client: TLSSocket;
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      client = connect({ ...tls, port, host: '127.0.0.1', checkServerIdentity: () => undefined });
      client.once('error', reject);
    });
  });
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 2_000);
  const rounds = 5;
  const pkiDir = mkdtempSync(join(tmpdir(), 'flotilla-token-cost-'));
  const peer = await tlsPeer(pkiDir);
  try {
    const folder = join(pkiDir, 'caller-token');
    mkdirSync(folder);
    const pair = generateKeyPairSync('ed25519', {
      privateKeyEncoding: { format: 'pem', type: 'pkcs8' },
      publicKeyEncoding: { format: 'pem', type: 'spki' },
    });
    writeFileSync(join(folder, 'bench.key'), pair.privateKey, { mode: 0o600 });
    writeFileSync(join(folder, 'bench.pub'), pair.publicKey);
    writeFileSync(join(folder, 'current'), 'bench\n');
    const minter = CallerTokenMinter.fromPkiDir(pkiDir);
    const keys = TrustedCallerTokenKeys.fromPkiDir(pkiDir);
    const verifier = new CallerTokenVerifier(keys);
    const { kid, privateKey } = readCallerTokenSigningKey(pkiDir);
    const publicKey = keys.keyOf(kid) as KeyObject;
    // An administrator: every permission, so the largest token a user gets.
    const identity = {
      userId: 'a3c1f7e2-3b7d-4a51-9d2e-1f0c5b7a9e10',
      username: 'admin',
      clientIp: '203.0.113.9',
      forwardedFor: '203.0.113.9',
      permissions: [...ALL_PERMISSIONS],
      requestId: '6f1c2a9e-0b1d-4c55-9a39-3f0a1f7c2d10',
    };
    const joseMint = (): Promise<string> => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        username: identity.username,
        permissions: identity.permissions,
        clientIp: identity.clientIp,
        forwardedFor: identity.forwardedFor,
        requestId: identity.requestId,
      })
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: CALLER_TOKEN_TYPE })
        .setIssuer(CALLER_TOKEN_ISSUER)
        .setSubject(identity.userId)
        .setAudience('orchestrator')
        .setIssuedAt(now)
        .setExpirationTime(now + 30)
        .setJti(randomUUID())
        .sign(privateKey);
    };
    const joseVerify = (token: string) =>
      jwtVerify(token, () => publicKey, {
        algorithms: ['EdDSA'],
        issuer: CALLER_TOKEN_ISSUER,
        audience: ['orchestrator'],
        typ: CALLER_TOKEN_TYPE,
        clockTolerance: CALLER_TOKEN_CLOCK_SKEW_S,
        maxTokenAge: MAX_CALLER_TOKEN_LIFETIME_S + CALLER_TOKEN_CLOCK_SKEW_S,
        requiredClaims: ['sub', 'iat', 'exp'],
      });
    const token = minter.mint(identity, 'orchestrator');
    const signed = Buffer.from(token.split('.').slice(0, 2).join('.'));
    // What grpc-js's server call holds (the HTTP/2 session and its socket) and answers.
    const call = {
      stream: { session: { socket: peer.socket } },
      getAuthContext: () => ({ sslPeerCertificate: peer.socket.getPeerCertificate() }),
    };
    const signAsync = promisify(sign);
    const verifyAsync = promisify(verify);
    const steps: Step[] = [
      { name: 'token: bare jose SignJWT + jwtVerify', run: async () => joseVerify(await joseMint()) },
      {
        name: 'token: product mint + verify (fast-jwt, with its checks)',
        run: () => verifier.verify(minter.mint(identity, 'orchestrator'), ['orchestrator']),
      },
      {
        name: 'token: bare Ed25519 sign + verify (floor)',
        run: () => verify(null, signed, publicKey, sign(null, signed, privateKey)),
      },
      {
        // What jose did around the same two operations: node:crypto's callback form, on libuv's pool.
        name: 'token: bare Ed25519 sign + verify on the thread pool',
        run: async () => verifyAsync(null, signed, publicKey, await signAsync(null, signed, privateKey)),
      },
      {
        name: 'peer: getPeerCertificate + SAN per call (before)',
        run: () => peerIdentityFromCertificate(peer.socket.getPeerCertificate()),
      },
      { name: 'peer: peerIdentityOfCall (once per connection)', run: () => peerIdentityOfCall(call) },
    ];
    for (const step of steps) await measure(step, 200);
    const totals = new Map(steps.map((step) => [step.name, { cpuUs: 0, wallUs: 0 }]));
    for (let round = 0; round < rounds; round += 1) {
      for (const step of round % 2 ? [...steps].reverse() : steps) {
        const result = await measure(step, count);
        const total = totals.get(step.name) as { cpuUs: number; wallUs: number };
        total.cpuUs += result.cpuUs / rounds;
        total.wallUs += result.wallUs / rounds;
      }
    }
    const [load] = loadavg();
    process.stdout.write(
      `Security work of one gRPC call (${token.length}-byte token; ${rounds} rounds of ${count}; ` +
        `load average ${load?.toFixed(1)}):\n` +
        formatTable(
          ['step', 'CPU us/call', 'wall us/call'],
          [...totals].map(([name, { cpuUs, wallUs }]) => [name, cpuUs.toFixed(1), wallUs.toFixed(1)]),
        ) +
        '\n',
    );
  } finally {
    peer.close();
    rmSync(pkiDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
