import { performance } from 'node:perf_hooks';

import type { DirectoryConfig } from '@flotilla/platform/config';

import { isLdapAnswer, LdapConnection } from '../directory/ldap-connection';

import { errorText, type DiagnosticStep } from './diagnostic-step';

/** The first controller that took the search account, or why none did. */
export type ControllerReached =
  | { connection: LdapConnection }
  | { connection?: undefined; refusedSearchAccount: boolean; reason: string };

/**
 * Tries the configured controllers in order, as sign-in's pool does, recording for each how long
 * connecting (TCP, then TLS or StartTLS) and binding as the search account took, or which of the
 * two failed, why and after how long. Unlike the pool it ignores cool-downs: an administrator
 * testing the path wants each controller's state now, even at the cost of a dead one's timeout.
 * A refused search account is the directory's answer (the same on every controller): it stops.
 */
export async function reachController(
  config: DirectoryConfig,
  steps: DiagnosticStep[],
): Promise<ControllerReached> {
  const failures: string[] = [];
  const encrypted = (url: string): boolean => url.startsWith('ldaps:') || config.startTls;
  for (const url of config.urls) {
    const started = performance.now();
    let connectedAt: number | undefined;
    let securedAt: number | undefined;
    let boundAt: number | undefined;
    const reached = (): number | undefined => (encrypted(url) ? securedAt : connectedAt);
    try {
      const connection = await LdapConnection.open(
        url,
        config,
        config.bindDn,
        config.bindPassword,
        (step) => {
          const at = performance.now();
          if (step === 'connected') connectedAt ??= at;
          else if (step === 'secured') securedAt ??= at;
          else boundAt ??= at;
        },
      );
      const connectedIn = reached() ?? started;
      steps.push(connectStep(url, started, connectedIn, connectedAt, true));
      steps.push({
        step: 'bind',
        controller: url,
        durationMs: (boundAt ?? performance.now()) - connectedIn,
        ok: true,
        detail: `as the search account ${config.bindDn}`,
      });
      return { connection };
    } catch (error) {
      const failedAt = performance.now();
      const reason = errorText(error);
      const secured = reached();
      if (secured === undefined) {
        steps.push({ ...connectStep(url, started, failedAt, connectedAt, false), error: reason });
      } else {
        steps.push(connectStep(url, started, secured, connectedAt, true));
        steps.push({
          step: 'bind',
          controller: url,
          durationMs: failedAt - secured,
          ok: false,
          error: reason,
          detail: `as the search account ${config.bindDn}`,
        });
      }
      if (isLdapAnswer(error))
        return {
          refusedSearchAccount: true,
          reason: `The directory refused the search account ${config.bindDn} at ${url}: ${reason}`,
        };
      failures.push(`${url} (${reason})`);
    }
  }
  return { refusedSearchAccount: false, reason: `No domain controller answered: ${failures.join('; ')}` };
}

function connectStep(
  url: string,
  started: number,
  until: number,
  connectedAt: number | undefined,
  ok: boolean,
): DiagnosticStep {
  const tcp =
    connectedAt === undefined
      ? 'TCP not connected'
      : `TCP connected after ${(connectedAt - started).toFixed(1)} ms`;
  return { step: 'connect', controller: url, durationMs: until - started, ok, detail: tcp };
}
