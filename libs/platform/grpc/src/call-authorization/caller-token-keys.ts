import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The caller-token keys in a PKI folder (layout of libs/platform/pki): `caller-token/<kid>.pub`
 * (SPKI PEM) for every key still trusted, `caller-token/<kid>.key` (PKCS8 PEM, 0600) and
 * `caller-token/current` naming the kid that signs. Only the gateway reads a private key.
 */
export const CALLER_TOKEN_FOLDER = 'caller-token';
const CURRENT_FILE = 'current';
const KID = /^[A-Za-z0-9._-]{1,128}$/;

export interface CallerTokenSigningKey {
  kid: string;
  privateKey: KeyObject;
}

function asEd25519(key: KeyObject, file: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(
      `${file} is a ${key.asymmetricKeyType ?? 'non-asymmetric'} key; caller tokens need Ed25519`,
    );
  }
  return key;
}

/** The signing key named by caller-token/current; throws naming the file when it is missing or bad. */
export function readCallerTokenSigningKey(pkiDir: string): CallerTokenSigningKey {
  const folder = join(pkiDir, CALLER_TOKEN_FOLDER);
  const currentFile = join(folder, CURRENT_FILE);
  let kid: string;
  try {
    kid = readFileSync(currentFile, 'utf8').trim();
  } catch (error) {
    throw new Error(`Cannot read the caller-token signing key id ${currentFile}: ${String(error)}`);
  }
  if (!KID.test(kid)) throw new Error(`${currentFile} does not name a key id ('${kid.slice(0, 40)}')`);
  const file = join(folder, `${kid}.key`);
  const privateKey = asEd25519(createPrivateKey(readFileSync(file, 'utf8')), file);
  return { kid, privateKey };
}

/** Every trusted public key of the folder, by kid; a malformed file is skipped, not fatal. */
export function readTrustedCallerTokenKeys(pkiDir: string): Map<string, KeyObject> {
  const folder = join(pkiDir, CALLER_TOKEN_FOLDER);
  const keys = new Map<string, KeyObject>();
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return keys;
  }
  for (const name of names) {
    if (!name.endsWith('.pub')) continue;
    const kid = name.slice(0, -'.pub'.length);
    if (!KID.test(kid)) continue;
    try {
      const file = join(folder, name);
      keys.set(kid, asEd25519(createPublicKey(readFileSync(file, 'utf8')), file));
    } catch {
      // A half-written or foreign file must not take every other key down with it.
    }
  }
  return keys;
}

/** How often at most an unknown kid makes the verifier read the folder again. */
export const TRUST_RELOAD_INTERVAL_MS = 2_000;

/**
 * The public keys a service trusts. Read once; read again when a token names a kid not seen yet
 * (a key rotated in), at most once per TRUST_RELOAD_INTERVAL_MS so a flood of made-up kids costs
 * one directory read per interval, not one per call. A kid removed from the folder stops being
 * trusted at the next reload.
 */
export class TrustedCallerTokenKeys {
  private keys: Map<string, KeyObject> | undefined;
  private lastLoadAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly load: () => Map<string, KeyObject>,
    private readonly now: () => number = Date.now,
    private readonly reloadIntervalMs = TRUST_RELOAD_INTERVAL_MS,
  ) {}

  static fromPkiDir(pkiDir: string): TrustedCallerTokenKeys {
    return new TrustedCallerTokenKeys(() => readTrustedCallerTokenKeys(pkiDir));
  }

  /** The key of `kid`, or undefined when the folder holds none (after at most one reload). */
  keyOf(kid: string): KeyObject | undefined {
    const known = this.current().get(kid);
    if (known) return known;
    if (this.now() - this.lastLoadAt < this.reloadIntervalMs) return undefined;
    this.reload();
    return this.current().get(kid);
  }

  private current(): Map<string, KeyObject> {
    if (!this.keys) this.reload();
    return this.keys as Map<string, KeyObject>;
  }

  private reload(): void {
    this.keys = this.load();
    this.lastLoadAt = this.now();
  }
}
