import { DirectoryUnavailableError } from './directory-refusal';

/** What the pool hands out: something bound to one controller that can be closed. */
export interface PooledConnection {
  readonly url: string;
  close(): Promise<void>;
}

export interface DomainControllerPoolOptions<C extends PooledConnection> {
  /** In the order they are tried. */
  urls: readonly string[];
  /** How long a controller that failed is skipped. */
  cooldownMs: number;
  /** Connects, secures and binds the search account; must give up within the configured timeout. */
  open: (url: string) => Promise<C>;
  /** An error that is the directory's answer (not the controller's absence) fails at once, without failover. */
  isAnswer: (error: unknown) => boolean;
  now?: () => number;
  onUnreachable?: (url: string, reason: string, coolingForMs: number) => void;
}

/**
 * Several domain controllers, tried in order. One that does not answer (refused, timed out,
 * TLS refused) is skipped for the cool-down, so a dead controller costs one timeout per cool-down
 * instead of one per sign-in. When every controller is cooling down, the one whose cool-down ends
 * first is tried anyway (at most one timeout): a short outage of a single controller must not
 * shut everyone out for the whole cool-down.
 */
export class DomainControllerPool<C extends PooledConnection> {
  private readonly coolingUntil = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: DomainControllerPoolOptions<C>) {
    if (options.urls.length === 0) throw new Error('A directory needs at least one domain controller');
    this.now = options.now ?? Date.now;
  }

  /** The first controller that answers; DirectoryUnavailableError naming each failure when none does. */
  async connect(): Promise<C> {
    const attempts: { url: string; error: string }[] = [];
    for (const url of this.candidates()) {
      try {
        const connection = await this.options.open(url);
        this.coolingUntil.delete(url);
        return connection;
      } catch (error) {
        if (this.options.isAnswer(error)) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        this.markUnreachable(url, reason);
        attempts.push({ url, error: reason });
      }
    }
    throw new DirectoryUnavailableError(
      `No domain controller answered: ${attempts.map((attempt) => `${attempt.url} (${attempt.error})`).join('; ')}`,
      attempts,
    );
  }

  /** A controller that stopped answering in the middle of a sign-in: skip it for the cool-down. */
  markUnreachable(url: string, reason: string): void {
    this.coolingUntil.set(url, this.now() + this.options.cooldownMs);
    this.options.onUnreachable?.(url, reason, this.options.cooldownMs);
  }

  /** For diagnostics: each controller and until when it is skipped. */
  state(): { url: string; coolingUntil?: Date }[] {
    const now = this.now();
    return this.options.urls.map((url) => {
      const until = this.coolingUntil.get(url);
      return until !== undefined && until > now ? { url, coolingUntil: new Date(until) } : { url };
    });
  }

  private candidates(): string[] {
    const now = this.now();
    const ready = this.options.urls.filter((url) => (this.coolingUntil.get(url) ?? 0) <= now);
    if (ready.length > 0) return ready;
    const soonest = [...this.options.urls].sort(
      (a, b) => (this.coolingUntil.get(a) ?? 0) - (this.coolingUntil.get(b) ?? 0),
    )[0];
    return soonest ? [soonest] : [];
  }
}
