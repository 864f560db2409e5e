import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import type { SignInThrottleConfig } from '@flotilla/platform/config';
import { rateLimitedError } from '@flotilla/platform/grpc';
import { isDatabaseUnavailableError } from '@flotilla/platform/persistence';

import { anonymousActor, RequestOrigin } from '../audit-actors';

import type { SignInAccounts } from './sign-in-accounts';
import { signInAccountName } from './sign-in-name';
import type { ThrottleCounters, ThrottleLimit } from './throttle-counters';

/** The audit action of a lockout, recorded once when it starts. */
export const SIGN_IN_LOCKED_OUT = 'user.login-locked-out';
/** The attempted name in the trail is bounded and escaped as failed sign-ins' are. */
const AUDITED_NAME_MAX = 200;

/** One sentence for every refusal: it says neither which counter is full nor whether the name exists. */
export function tooManyAttemptsMessage(seconds: number): string {
  return `Too many failed sign-in attempts; try again in ${seconds} second${seconds === 1 ? '' : 's'}`;
}

type Scope = 'account' | 'name' | 'address';

interface Counter extends ThrottleLimit {
  scope: Scope;
}

/**
 * Failed password checks counted cluster-wide, per account and per client address, before the
 * password is checked at all (ThrottleCounters: reserve first). Beyond a limit the attempt is
 * refused with RESOURCE_EXHAUSTED and the seconds until the window ends (HTTP 429, Retry-After).
 *
 * A local account's counter is keyed by its id (`account:`). Every other name is counted by its
 * account name (signInAccountName: `FLOTILLA\alice`, `alice@flotilla.test` and `ALICE` are one
 * counter), keyed by a hash of it (`name:`): the forms of one directory account share a counter,
 * and a name nobody has is refused after as many failures as a real one (else the refusal would
 * tell which names exist). No typed name reaches a local account's counter unless it is that
 * account's name, and a directory `FLOTILLA\alice` never locks a local `alice`. The hash also keeps
 * what people mistype into the name field (their password, often) out of Redis and the database.
 */
export class SignInThrottle {
  private readonly logger = new Logger(SignInThrottle.name);

  constructor(
    private readonly counters: ThrottleCounters,
    private readonly accounts: SignInAccounts,
    private readonly dataSource: DataSource,
    private readonly audit: AuditRecorder,
    private readonly settings: SignInThrottleConfig,
  ) {}

  /**
   * Runs `check` (the password check) unless the name or the address is locked out. A result
   * counts as a success: the name's failures are forgotten and the address's attempt given back.
   * `undefined` is a failure and stays counted; the failure that fills a counter audits its lockout.
   */
  async attempt<T>(
    username: string,
    origin: RequestOrigin,
    check: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const counters = await this.countersFor(username, origin);
    const reservation = await this.counters.reserve(counters, this.settings.windowSeconds * 1000);
    if (!reservation.granted) {
      const seconds = Math.max(1, Math.ceil(reservation.retryAfterMs / 1000));
      throw rateLimitedError(tooManyAttemptsMessage(seconds), seconds);
    }
    let result: T | undefined;
    try {
      result = await check();
    } catch (error) {
      // Not judged (the database or directory failed): not a failure either.
      for (const counter of counters) await this.bestEffort(() => this.counters.release(counter.key));
      throw error;
    }
    const [name, address] = counters;
    if (result !== undefined) {
      if (name) await this.bestEffort(() => this.counters.reset(name.key));
      if (address) await this.bestEffort(() => this.counters.release(address.key));
      return result;
    }
    for (const [index, counter] of counters.entries())
      if (reservation.counts[index] === counter.max) await this.auditLockout(counter, username, origin);
    return undefined;
  }

  private async countersFor(username: string, origin: RequestOrigin): Promise<Counter[]> {
    const accountId = await this.accounts.accountIdOf(username);
    const max = this.settings.maxFailuresPerUser;
    const name: Counter = accountId
      ? { scope: 'account', key: `account:${accountId}`, max }
      : { scope: 'name', key: `name:${sha256(signInAccountName(username))}`, max };
    // No address (a caller that sent none): only the name is counted, rather than every such
    // caller sharing one counter that any of them could fill for all.
    if (!origin.clientIp) return [name];
    return [
      name,
      { scope: 'address', key: addressKey(origin.clientIp), max: this.settings.maxFailuresPerIp },
    ];
  }

  /** Once per lockout: only the failure that took the counter to its max gets here. */
  private async auditLockout(counter: Counter, username: string, origin: RequestOrigin): Promise<void> {
    const attempted = username.replaceAll('\u0000', '\\x00').slice(0, AUDITED_NAME_MAX);
    const resource =
      counter.scope === 'address'
        ? {
            resourceType: 'ClientAddress',
            resourceId: origin.clientIp.replaceAll('\u0000', '\\x00').slice(0, AUDITED_NAME_MAX),
          }
        : {
            resourceType: 'User',
            resourceId: counter.scope === 'account' ? counter.key.slice(8) : attempted,
          };
    try {
      await this.dataSource.transaction((manager) =>
        this.audit.record(manager, {
          actor: anonymousActor(origin),
          action: SIGN_IN_LOCKED_OUT,
          ...resource,
          details: {
            scope: counter.scope,
            username: attempted,
            failures: counter.max,
            windowSeconds: this.settings.windowSeconds,
          },
        }),
      );
    } catch (error) {
      if (isDatabaseUnavailableError(error)) throw error;
      this.logger.error(
        `AUDIT LOST: sign-in lockout (${counter.scope}) for "${attempted}" from ${origin.clientIp || 'an unknown address'}: ` +
          (error instanceof Error ? error.message : String(error)),
      );
    }
  }

  /** Giving a count back is a courtesy to the user; failing it must not fail their sign-in. */
  private async bestEffort(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.logger.warn(
        `sign-in throttle: a counter could not be updated: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

/** An address as it is, or hashed when it is not one (the origin is whatever the caller's metadata held). */
function addressKey(clientIp: string): string {
  return `ip:${isIP(clientIp) ? clientIp : sha256(clientIp)}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
