import { MasterKey } from './master-key';
import { MasterKeyError } from './master-key-error';
import { isSealedValue, openWithKey, parseEnvelope, sealWithKey } from './secret-envelope';

/** Where a keyring's keys come from, re-read when they may have changed (a rotation in progress). */
export interface MasterKeySource {
  /** For messages: "FLOTILLA_MASTER_KEY", "FLOTILLA_MASTER_KEY_FILE=/path". */
  readonly description: string;
  /** The keys now, the sealing key first. */
  read(): MasterKey[];
  /** Whether read() may answer differently than last time (cheap: a file's mtime). */
  changed(): boolean;
}

/** How often at most a keyring asks its source whether it changed, before sealing. */
const RELOAD_CHECK_MS = 500;

/**
 * The master keys a process holds: the first seals, every one opens. During a rotation the key
 * file holds the new key first and the old one after it, so values sealed under either open and
 * new values are sealed under the new key; a process notices the file changed without a restart.
 */
export class MasterKeyring {
  private keys: MasterKey[];
  private checkedAt = 0;

  constructor(private readonly source: MasterKeySource) {
    this.keys = source.read();
    if (this.keys.length === 0) throw new MasterKeyError(`${source.description} holds no master key`);
    this.checkedAt = Date.now();
  }

  /** A keyring over fixed keys (the sealing key first): tests, and tools that hold keys in memory. */
  static of(...keys: MasterKey[]): MasterKeyring {
    return new MasterKeyring({ description: 'the given master key', read: () => keys, changed: () => false });
  }

  get description(): string {
    return this.source.description;
  }

  get sealingKey(): MasterKey {
    this.refreshIfDue();
    return this.keys[0];
  }

  get acceptedKeyIds(): string[] {
    return this.keys.map((key) => key.id);
  }

  holds(keyId: string): boolean {
    return this.keyById(keyId) !== undefined;
  }

  seal(plaintext: string, associatedData: string): string {
    return sealWithKey(this.sealingKey, plaintext, associatedData);
  }

  /**
   * Opens a value sealed under any held key with the same associated data. Throws a MasterKeyError
   * for a key this process does not hold, and an Error when the value does not authenticate.
   */
  open(envelope: string, associatedData: string): string {
    const parsed = parseEnvelope(envelope);
    if (!parsed) throw new Error('not a sealed value (expected enc:v1:…)');
    const key = this.keyById(parsed.keyId) ?? this.reloadAndFind(parsed.keyId);
    if (!key) {
      throw new MasterKeyError(
        `a value is sealed under master key ${parsed.keyId}, which ${this.source.description} does not hold ` +
          `(it holds ${this.acceptedKeyIds.join(', ')}); give this process the key the values were sealed with`,
      );
    }
    try {
      return openWithKey(key, parsed, associatedData);
    } catch {
      throw new Error(
        `a sealed value under master key ${parsed.keyId} does not authenticate (altered, or moved from another place)`,
      );
    }
  }

  /** The id of the key that sealed a value, or undefined for a value that is not sealed. */
  static keyIdOf(value: string): string | undefined {
    return isSealedValue(value) ? parseEnvelope(value)?.keyId : undefined;
  }

  private keyById(keyId: string): MasterKey | undefined {
    return this.keys.find((key) => key.id === keyId);
  }

  private reloadAndFind(keyId: string): MasterKey | undefined {
    this.reload();
    return this.keyById(keyId);
  }

  private refreshIfDue(): void {
    if (Date.now() - this.checkedAt < RELOAD_CHECK_MS) return;
    this.checkedAt = Date.now();
    if (this.source.changed()) this.reload();
  }

  private reload(): void {
    const keys = this.source.read();
    if (keys.length > 0) this.keys = keys;
    this.checkedAt = Date.now();
  }
}
