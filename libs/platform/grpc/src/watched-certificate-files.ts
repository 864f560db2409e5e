import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

import { experimental } from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';

type CertificateProvider = experimental.CertificateProvider;
type CaCertificateUpdateListener = experimental.CaCertificateUpdateListener;
type IdentityCertificateUpdateListener = experimental.IdentityCertificateUpdateListener;

export interface CertificateFilePaths {
  /** This process's certificate followed by its chain (PEM). */
  certificate: string;
  privateKey: string;
  /** Every CA this process trusts (PEM), the peers' certificates are checked against it. */
  trustBundle: string;
}

interface LoadedFiles {
  certificate: Buffer;
  privateKey: Buffer;
  trustBundle: Buffer;
  signature: string;
}

function unreadable(file: string, error: unknown, fix: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'missing' : code === 'EACCES' ? 'not readable by this user' : String(error);
  return new Error(`${file}: ${why}. ${fix}`);
}

/** What changes when a file is replaced (rename gives a new inode) or rewritten. */
function signatureOf(paths: CertificateFilePaths, fix: string): string {
  return [paths.certificate, paths.privateKey, paths.trustBundle]
    .map((file) => {
      try {
        const stat = statSync(file);
        return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
      } catch (error) {
        throw unreadable(file, error, fix);
      }
    })
    .join('|');
}

function readAll(paths: CertificateFilePaths, fix: string): LoadedFiles {
  const read = (file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw unreadable(file, error, fix);
    }
  };
  // Before reading: a change after this point is seen again at the next refresh.
  const signature = signatureOf(paths, fix);
  const certificate = read(paths.certificate);
  const privateKey = read(paths.privateKey);
  const trustBundle = read(paths.trustBundle);
  // A certificate replaced between our reads of it and its key (rotation writes key, then
  // certificate) would make a pair that cannot handshake: take only pairs that match.
  if (!new X509Certificate(certificate).checkPrivateKey(createPrivateKey(privateKey))) {
    throw new Error(`${paths.certificate} does not match ${paths.privateKey}. ${fix}`);
  }
  return { certificate, privateKey, trustBundle, signature };
}

/**
 * A grpc-js CertificateProvider over this process's certificate, key and trust bundle, re-read
 * whenever the files change so a rotated certificate or CA takes effect without a restart.
 *
 * Why not grpc-js's FileWatcherCertificateProvider: it publishes whatever it read, so a rotation
 * caught between writing the key and the certificate hands grpc-js a mismatched pair and every new
 * connection fails until the next read; and its first read is asynchronous, so a missing file
 * surfaces as refused connections instead of a start-up error naming it. This one reads
 * synchronously once (throwing a clear error), then polls cheaply (stat) and publishes only a
 * complete, matching set, keeping the last good one otherwise.
 */
export class WatchedCertificateFiles implements CertificateProvider {
  private current: LoadedFiles;
  private readonly caListeners = new Set<CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<IdentityCertificateUpdateListener>();
  private timer: NodeJS.Timeout | undefined;
  private lastProblem: string | undefined;
  private readonly logger = new Logger('flotilla-certificates');

  constructor(
    readonly paths: CertificateFilePaths,
    private readonly refreshMs: number,
    private readonly fix: string,
  ) {
    this.current = readAll(paths, fix);
  }

  /** Re-reads the files if they changed; returns whether a new set was published. */
  refresh(): boolean {
    let signature: string;
    try {
      signature = signatureOf(this.paths, this.fix);
      if (signature === this.current.signature) return false;
      this.current = readAll(this.paths, this.fix);
      this.lastProblem = undefined;
    } catch (error) {
      const problem = error instanceof Error ? error.message : String(error);
      if (problem !== this.lastProblem) this.logger.warn(`keeping the certificates read before: ${problem}`);
      this.lastProblem = problem;
      return false;
    }
    this.logger.log(`certificates reloaded from ${this.paths.certificate} and ${this.paths.trustBundle}`);
    for (const listener of this.caListeners) listener({ caCertificate: this.current.trustBundle });
    for (const listener of this.identityListeners)
      listener({ certificate: this.current.certificate, privateKey: this.current.privateKey });
    return true;
  }

  addCaCertificateListener(listener: CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    this.startWatching();
    // Next tick, as grpc-js's own provider does: its server registers the watcher that applies
    // the update only after adding this listener.
    process.nextTick(() => {
      if (this.caListeners.has(listener)) listener({ caCertificate: this.current.trustBundle });
    });
  }

  removeCaCertificateListener(listener: CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
    this.stopWatchingWhenUnused();
  }

  addIdentityCertificateListener(listener: IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    this.startWatching();
    process.nextTick(() => {
      if (this.identityListeners.has(listener))
        listener({ certificate: this.current.certificate, privateKey: this.current.privateKey });
    });
  }

  removeIdentityCertificateListener(listener: IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
    this.stopWatchingWhenUnused();
  }

  private startWatching(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.refresh(), this.refreshMs);
    // Watching never keeps a process alive on its own.
    this.timer.unref();
  }

  private stopWatchingWhenUnused(): void {
    if (this.caListeners.size > 0 || this.identityListeners.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
