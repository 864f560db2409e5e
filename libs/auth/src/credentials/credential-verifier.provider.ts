import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import { DirectoryConfig, loadDirectoryConfig } from '@flotilla/platform/config';

import { DirectoryClient } from '../directory/directory-client';
import { ScryptPasswordHasher } from '../passwords/scrypt-password-hasher';
import { UsersRepository } from '../persistence/users.repository';

import { AllowedGroups } from './allowed-groups';
import { CREDENTIAL_VERIFIER, CredentialVerifier } from './credential-verifier';
import { DirectoryAccounts } from './directory-accounts';
import { DirectoryCredentialVerifier } from './directory-credential-verifier';
import { LocalCredentialVerifier } from './local-credential-verifier';
import { SignInCredentialVerifier } from './sign-in-credential-verifier';

/** Injection token for the directory configuration (undefined: directory sign-in off). */
export const DIRECTORY_CONFIG = Symbol('DIRECTORY_CONFIG');

/** The verifier sign-in uses: local accounts, and the directory when FLOTILLA_DIRECTORY_KIND is set. */
export function createCredentialVerifier(
  dataSource: DataSource,
  users: UsersRepository,
  hasher: ScryptPasswordHasher,
  audit: AuditRecorder,
  directoryConfig: DirectoryConfig | undefined,
): CredentialVerifier {
  const local = new LocalCredentialVerifier(dataSource, users, hasher);
  const directory = directoryConfig
    ? new DirectoryCredentialVerifier(
        dataSource,
        new DirectoryClient(directoryConfig),
        new DirectoryAccounts(dataSource, users, directoryConfig, audit),
        audit,
        AllowedGroups.of(directoryConfig),
      )
    : undefined;
  return new SignInCredentialVerifier(dataSource, users, local, directory);
}

/** AuthModule's providers for sign-in's verifier; a bad FLOTILLA_DIRECTORY_* stops auth at start naming it. */
export const credentialVerifierProviders: Provider[] = [
  { provide: DIRECTORY_CONFIG, useFactory: (): DirectoryConfig | undefined => loadDirectoryConfig() },
  {
    provide: CREDENTIAL_VERIFIER,
    inject: [DataSource, UsersRepository, ScryptPasswordHasher, AuditRecorder, DIRECTORY_CONFIG],
    useFactory: createCredentialVerifier,
  },
];
