import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { ALL_PERMISSIONS } from '@flotilla/api-interfaces';
import { CallerTokenMinter, CallerTokenVerifier, TrustedCallerTokenKeys } from '@flotilla/platform/grpc';

/**
 * What a caller token costs per gRPC call: one mint in the gateway plus one verification in the
 * service, measured in a loop with the product's classes, beside bare Ed25519 sign + verify of
 * the same bytes (node:crypto) for scale. Run:
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/src/caller-token-cost.ts [count]
 */
async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 5_000);
  const pkiDir = mkdtempSync(join(tmpdir(), 'flotilla-token-cost-'));
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
    const verifier = new CallerTokenVerifier(TrustedCallerTokenKeys.fromPkiDir(pkiDir));
    // An administrator: every permission, so the largest token a user gets.
    const identity = {
      userId: 'a3c1f7e2-3b7d-4a51-9d2e-1f0c5b7a9e10',
      username: 'admin',
      clientIp: '203.0.113.9',
      forwardedFor: '203.0.113.9',
      permissions: [...ALL_PERMISSIONS],
      requestId: '6f1c2a9e-0b1d-4c55-9a39-3f0a1f7c2d10',
    };
    for (let index = 0; index < 500; index += 1) {
      await verifier.verify(await minter.mint(identity, 'orchestrator'), ['orchestrator']);
    }
    let started = process.hrtime.bigint();
    const tokens: string[] = [];
    for (let index = 0; index < count; index += 1) tokens.push(await minter.mint(identity, 'orchestrator'));
    const mintUs = Number(process.hrtime.bigint() - started) / count / 1000;
    started = process.hrtime.bigint();
    for (const token of tokens) await verifier.verify(token, ['orchestrator']);
    const verifyUs = Number(process.hrtime.bigint() - started) / count / 1000;
    const signed = Buffer.from(tokens[0].split('.').slice(0, 2).join('.'));
    const raw = generateKeyPairSync('ed25519');
    started = process.hrtime.bigint();
    for (let index = 0; index < count; index += 1) {
      verify(null, signed, raw.publicKey, sign(null, signed, raw.privateKey));
    }
    const rawUs = Number(process.hrtime.bigint() - started) / count / 1000;
    const [load] = loadavg();
    process.stdout.write(
      `caller token (${tokens[0].length} bytes, ${count} each): mint ${mintUs.toFixed(1)} us, ` +
        `verify ${verifyUs.toFixed(1)} us, per call ${(mintUs + verifyUs).toFixed(1)} us; ` +
        `bare Ed25519 sign+verify ${rawUs.toFixed(1)} us; load average ${load?.toFixed(1)}\n`,
    );
  } finally {
    rmSync(pkiDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
