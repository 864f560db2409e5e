import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

import { waitForPort } from '@flotilla/platform/net';
import { SwappedCertificate } from '@flotilla/platform/pki';

import { checkCertificateSwapFrom } from './haproxy-runtime';

export interface HaproxyProcess {
  /**
   * Makes HAProxy present the check certificate now on disk (after a CA rotation's `reissue`),
   * through its runtime API: no reload, no connection cut. Rejects if the config has no admin
   * socket or check certificate, or HAProxy refuses the swap (then it keeps the old one).
   */
  reloadCheckCertificate(): Promise<SwappedCertificate>;
  stop(): Promise<void>;
}

export function haproxyVersion(): string | undefined {
  const result = spawnSync('haproxy', ['-v'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.split('\n')[0] : undefined;
}

/** Validates the rendered config with `haproxy -c`, then runs HAProxy in the foreground. */
export async function startHaproxy(
  configPath: string,
  config: string,
  statsPort: number,
  log: (line: string) => void,
): Promise<HaproxyProcess> {
  await writeFile(configPath, config);
  const check = spawnSync('haproxy', ['-c', '-q', '-f', configPath], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`haproxy rejected ${configPath}:\n${check.stdout}${check.stderr}`);
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The config logs to stdout (server UP/DOWN); stderr repeats the same as warnings, so it is
  // kept only to explain a failed start.
  if (child.stdout) createInterface({ input: child.stdout }).on('line', (line) => log(`[haproxy] ${line}`));
  const errors: string[] = [];
  if (child.stderr) createInterface({ input: child.stderr }).on('line', (line) => errors.push(line));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([
    waitForPort('127.0.0.1', statsPort, 10_000),
    exited.then(() =>
      Promise.reject(new Error(`haproxy exited at start-up:\n${errors.slice(-20).join('\n')}`)),
    ),
  ]);
  return {
    reloadCheckCertificate: checkCertificateSwapFrom(config),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
