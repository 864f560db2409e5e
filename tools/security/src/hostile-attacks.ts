import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ChannelCredentials, credentials, Metadata, status } from '@grpc/grpc-js';

import type { FlotillaService } from '@flotilla/contracts';
import { CallerIdentity, CallerTokenMinter, identityToMetadata } from '@flotilla/platform/grpc';

import { certificateFromPki, ClientCertificate, tlsCredentials } from './hostile-grpc-client';

/** A method of the product an attacker would want, with a request that would do harm if obeyed. */
export interface SampledMethod {
  service: FlotillaService;
  method: string;
  request: object;
  /** Called by the gateway for a user (else by a service on its own: claims, audit records). */
  forUsers: boolean;
}

export const HOSTILE_USERNAME = 'hostile-admin';
export const HOSTILE_PROJECT = 'hostile-project';

/** A sample of every service's methods: reads of secrets, privilege changes, task and audit forgery. */
export function sampledMethods(nodeName: string): SampledMethod[] {
  return [
    {
      service: 'auth',
      method: 'CreateUser',
      request: {
        username: HOSTILE_USERNAME,
        displayName: 'x',
        password: 'Hostile-Passw0rd!',
        roles: ['Administrator'],
      },
      forUsers: true,
    },
    { service: 'auth', method: 'CreateApiKey', request: { purpose: 'hostile' }, forUsers: true },
    { service: 'auth', method: 'ListUsers', request: {}, forUsers: true },
    { service: 'audit', method: 'Query', request: {}, forUsers: true },
    { service: 'audit', method: 'Record', request: { events: [] }, forUsers: false },
    {
      service: 'orchestrator',
      method: 'UpdateNode',
      request: { name: nodeName, isDraining: true },
      forUsers: true,
    },
    { service: 'orchestrator', method: 'CreateProject', request: { name: HOSTILE_PROJECT }, forUsers: true },
    { service: 'orchestrator', method: 'ListProjects', request: {}, forUsers: true },
    { service: 'orchestrator', method: 'ClaimTask', request: { nodeName, freeSlots: 1 }, forUsers: false },
    { service: 'executor', method: 'ReadTaskLog', request: { taskId: 'ServerTasks-1' }, forUsers: true },
    { service: 'executor', method: 'FollowTaskLog', request: { taskId: 'ServerTasks-1' }, forUsers: true },
    { service: 'artifacts', method: 'ListPackages', request: {}, forUsers: true },
    {
      service: 'artifacts',
      method: 'DeletePackage',
      request: { packageId: 'any', version: '1.0.0' },
      forUsers: true,
    },
    {
      service: 'artifacts',
      method: 'UploadPackage',
      request: { header: { fileName: 'hostile.1.0.0.zip' } },
      forUsers: true,
    },
  ];
}

/** What the attacker claims to be: every permission there is. */
export const CLAIMED_ADMIN: CallerIdentity = {
  userId: 'hostile',
  username: 'hostile',
  clientIp: '203.0.113.66',
  permissions: [
    'AdministerSystem',
    'UserEdit',
    'UserView',
    'ApiKeyEdit',
    'EventView',
    'ProjectCreate',
    'ProjectView',
    'TaskView',
    'FeedView',
    'BuiltInFeedPush',
    'BuiltInFeedAdminister',
  ],
};

export interface Attack {
  name: string;
  /** Applies to this method (e.g. metadata-only identity matters for user methods only). */
  appliesTo(method: SampledMethod): boolean;
  credentials(): ChannelCredentials;
  metadata(method: SampledMethod): Promise<Metadata>;
  /** The refusal codes acceptable for this attack. */
  refusedWith: readonly status[];
}

/** What the attacks are made of: the cluster's trust bundle and certificates, a foreign CA's. */
export interface AttackMaterial {
  pkiDir: string;
  /** Node folder of the cluster PKI holding the attacker's stolen/issued leaves. */
  clientNode: string;
  foreignGateway: ClientCertificate;
}

const TRANSPORT_REFUSED = [status.UNAVAILABLE] as const;

/**
 * The hostile clients: no TLS, no client certificate, a certificate from another CA, a
 * valid certificate of a service the method does not admit, a forged / expired / misdirected
 * caller token, and identity metadata with no token.
 */
export function hostileAttacks(material: AttackMaterial): Attack[] {
  const trust = readFileSync(join(material.pkiDir, 'trust-bundle.pem'), 'utf8');
  const leaf = (identity: string) => certificateFromPki(material.pkiDir, material.clientNode, identity);
  const claimed = () => identityToMetadata(CLAIMED_ADMIN);
  const realMinter = () => CallerTokenMinter.fromPkiDir(material.pkiDir);
  const currentKid = () => readFileSync(join(material.pkiDir, 'caller-token', 'current'), 'utf8').trim();
  const withToken = (token: string) => {
    const metadata = claimed();
    metadata.set('x-flotilla-caller-token', token);
    return Promise.resolve(metadata);
  };
  const all = () => true;
  return [
    {
      name: 'plaintext gRPC',
      appliesTo: all,
      credentials: () => credentials.createInsecure(),
      metadata: () => Promise.resolve(claimed()),
      refusedWith: TRANSPORT_REFUSED,
    },
    {
      name: 'TLS without a client certificate',
      appliesTo: all,
      credentials: () => tlsCredentials(trust),
      metadata: () => Promise.resolve(claimed()),
      refusedWith: TRANSPORT_REFUSED,
    },
    {
      name: "a 'gateway' certificate from another CA",
      appliesTo: all,
      credentials: () => tlsCredentials(trust, material.foreignGateway),
      metadata: () => Promise.resolve(claimed()),
      refusedWith: TRANSPORT_REFUSED,
    },
    {
      name: 'a valid certificate of a service the method does not admit (test-client)',
      appliesTo: all,
      credentials: () => tlsCredentials(trust, leaf('test-client')),
      metadata: () => Promise.resolve(claimed()),
      refusedWith: [status.PERMISSION_DENIED],
    },
    {
      name: "a valid 'executor' certificate calling a user's method",
      appliesTo: (method) => method.forUsers,
      credentials: () => tlsCredentials(trust, leaf('executor')),
      metadata: () => Promise.resolve(claimed()),
      refusedWith: [status.PERMISSION_DENIED],
    },
    {
      name: "identity metadata without a token, from the gateway's certificate",
      appliesTo: (method) => method.forUsers || method.method === 'ClaimTask',
      credentials: () => tlsCredentials(trust, leaf('gateway')),
      metadata: () => Promise.resolve(claimed()),
      refusedWith: [status.PERMISSION_DENIED],
    },
    {
      name: 'a forged caller token (an attacker key claiming the real kid)',
      appliesTo: all,
      credentials: () => tlsCredentials(trust, leaf('gateway')),
      metadata: (method) => {
        const { privateKey } = generateKeyPairSync('ed25519');
        return withToken(
          new CallerTokenMinter({ kid: currentKid(), privateKey }).mint(CLAIMED_ADMIN, method.service),
        );
      },
      refusedWith: [status.UNAUTHENTICATED],
    },
    {
      name: 'an expired caller token (replayed 5 minutes later)',
      appliesTo: all,
      credentials: () => tlsCredentials(trust, leaf('gateway')),
      metadata: (method) =>
        withToken(realMinter().mint(CLAIMED_ADMIN, method.service, Math.floor(Date.now() / 1000) - 300)),
      refusedWith: [status.UNAUTHENTICATED],
    },
    {
      name: 'a caller token for another service',
      appliesTo: all,
      credentials: () => tlsCredentials(trust, leaf('gateway')),
      metadata: (method) =>
        withToken(realMinter().mint(CLAIMED_ADMIN, method.service === 'auth' ? 'audit' : 'auth')),
      refusedWith: [status.UNAUTHENTICATED],
    },
  ];
}
