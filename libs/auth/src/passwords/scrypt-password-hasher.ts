import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt cost parameters (RFC 7914): CPU/memory cost N, block size r, parallelism p. */
export interface ScryptParameters {
  N: number;
  r: number;
  p: number;
}

/** OWASP's minimum for scrypt; about 16 MiB and a few tens of milliseconds per hash. */
export const DEFAULT_SCRYPT_PARAMETERS: ScryptParameters = { N: 16384, r: 8, p: 1 };

export interface ParsedScryptHash {
  parameters: ScryptParameters;
  salt: Buffer;
  hash: Buffer;
}

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuse stored parameters that would need more memory than this (a corrupt or hostile row). */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const FORMAT = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function sane({ N, r, p }: ScryptParameters): boolean {
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  return (
    powerOfTwo && N <= 2 ** 20 && r >= 1 && r <= 32 && p >= 1 && p <= 16 && 128 * N * r <= MAX_MEMORY_BYTES
  );
}

/** Reads `scrypt$N=..,r=..,p=..$<salt b64>$<hash b64>`; undefined for anything else. */
export function parseScryptHash(encoded: string): ParsedScryptHash | undefined {
  const match = FORMAT.exec(encoded);
  if (!match) return undefined;
  const parameters = { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  const salt = Buffer.from(match[4] ?? '', 'base64');
  const hash = Buffer.from(match[5] ?? '', 'base64');
  if (!sane(parameters) || salt.length < 8 || hash.length < 16 || hash.length > 64) return undefined;
  return { parameters, salt, hash };
}

export function formatScryptHash({ parameters, salt, hash }: ParsedScryptHash): string {
  const { N, r, p } = parameters;
  return `scrypt$N=${N},r=${r},p=${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

function deriveKey(
  password: string,
  salt: Buffer,
  { N, r, p }: ScryptParameters,
  length: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, { N, r, p, maxmem: 2 * 128 * N * r * p + 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/**
 * Password hashing with Node's scrypt. The parameters and salt travel inside the stored string,
 * so raising the cost later does not invalidate existing hashes.
 */
export class ScryptPasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly parameters: ScryptParameters = DEFAULT_SCRYPT_PARAMETERS) {
    if (!sane(parameters)) throw new Error(`Unsafe scrypt parameters ${JSON.stringify(parameters)}`);
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const hash = await deriveKey(password, salt, this.parameters, KEY_BYTES);
    return formatScryptHash({ parameters: this.parameters, salt, hash });
  }

  /** True only when the password matches; a malformed stored hash never matches. */
  async verify(password: string, encoded: string): Promise<boolean> {
    const parsed = parseScryptHash(encoded);
    if (!parsed) return false;
    const candidate = await deriveKey(password, parsed.salt, parsed.parameters, parsed.hash.length);
    return timingSafeEqual(candidate, parsed.hash);
  }

  /**
   * Spends the same work as a real check against a hash nobody knows the password of, so a
   * sign-in for an unknown username takes as long as one with a wrong password.
   */
  async verifyDummy(password: string): Promise<false> {
    this.dummyHash ??= this.hash(randomBytes(32).toString('base64'));
    await this.verify(password, await this.dummyHash);
    return false;
  }
}
