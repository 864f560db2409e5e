import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { PeerCertificate } from 'node:tls';

import { Metadata, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

import { ALL_PERMISSIONS } from '@flotilla/api-interfaces';
import { FLOTILLA_SERVICES, PROTO_ROOT, SERVICE_CONTRACTS } from '@flotilla/contracts';

import { PROTO_LOADER_OPTIONS } from '../grpc-options';
import { CALL_POLICIES, refusalOf } from './call-policies';
import { PRODUCT_SERVICES } from './call-policy';
import { TrustedCallerTokenKeys } from './caller-token-keys';
import { callAuthorizer } from './server-call-authorization';

function protoFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return protoFiles(path);
    return entry.name.endsWith('.proto') ? [path] : [];
  });
}

/** Every rpc of every service of every .proto file, as 'package.Service/Method'. */
function protoMethods(): string[] {
  return protoFiles(PROTO_ROOT).flatMap((file) => {
    const definition = loadSync(relative(PROTO_ROOT, file), PROTO_LOADER_OPTIONS);
    return Object.entries(definition).flatMap(([name, entry]) =>
      // A service's definition maps method names to objects with a `path`; messages have `format`.
      'format' in entry ? [] : Object.keys(entry).map((method) => `${name}/${method}`),
    );
  });
}

function declaredMethods(): string[] {
  return FLOTILLA_SERVICES.flatMap((service) => {
    const contract = SERVICE_CONTRACTS[service];
    return Object.keys(CALL_POLICIES[service]).map(
      (method) => `${contract.packageName}.${contract.serviceName}/${method}`,
    );
  });
}

const executor = (user?: { permissions: string[] }) => ({
  peer: 'executor',
  user: user && { userId: 'u', username: 'u', clientIp: '', permissions: user.permissions },
});
const gateway = (permissions: string[]) => ({
  peer: 'gateway',
  user: { userId: 'u', username: 'u', clientIp: '', permissions },
});
const ADMINISTRATOR = [...ALL_PERMISSIONS];

describe('call policies', () => {
  it('declare every method of every .proto service, and no method that does not exist', () => {
    const methods = protoMethods();
    expect(methods.length).toBeGreaterThan(40);
    expect(declaredMethods().sort()).toEqual(methods.sort());
  });

  it('give every method at least one caller, with peers and known permissions', () => {
    for (const service of FLOTILLA_SERVICES) {
      for (const [method, policy] of Object.entries(CALL_POLICIES[service])) {
        expect({ method, rules: policy.callers.length }).toEqual({
          method,
          rules: expect.any(Number) as number,
        });
        expect(policy.callers.length).toBeGreaterThan(0);
        for (const rule of policy.callers) {
          expect(rule.peers.length).toBeGreaterThan(0);
          if (rule.user !== 'none' && rule.user !== 'signed-in') expect(ALL_PERMISSIONS).toContain(rule.user);
        }
      }
    }
  });

  it('take task claims, progress, completion and release from executor certificates only', () => {
    for (const method of ['ClaimTask', 'ReportProgress', 'CompleteTask', 'ReleaseTask']) {
      const policy = CALL_POLICIES.orchestrator[method];
      expect(refusalOf(method, policy, executor())).toBeUndefined();
      expect(refusalOf(method, policy, gateway(ADMINISTRATOR))).toMatch(
        `${method} may be called by executor on its own`,
      );
      for (const peer of ['orchestrator', 'auth', 'operator', 'test-client']) {
        expect(refusalOf(method, policy, { peer, user: undefined })).toBeDefined();
      }
      // An executor forwarding some user's token is not the executor acting on its own.
      expect(refusalOf(method, policy, executor({ permissions: ADMINISTRATOR }))).toBeDefined();
    }
  });

  it('take audit events from the services only, never from a user or a tool', () => {
    const record = CALL_POLICIES.audit['Record'];
    for (const peer of PRODUCT_SERVICES)
      expect(refusalOf('Record', record, { peer, user: undefined })).toBeUndefined();
    expect(refusalOf('Record', record, { peer: 'operator', user: undefined })).toBeDefined();
    expect(refusalOf('Record', record, gateway(ADMINISTRATOR))).toBeDefined();
  });

  it('need AdministerSystem (or the operator certificate) to drain, cap or remove a node', () => {
    for (const method of ['UpdateNode', 'RemoveNode']) {
      const policy = CALL_POLICIES.orchestrator[method];
      expect(refusalOf(method, policy, gateway(['TaskView', 'ProjectEdit']))).toMatch(/AdministerSystem/);
      expect(refusalOf(method, policy, gateway(['AdministerSystem']))).toBeUndefined();
      expect(refusalOf(method, policy, { peer: 'operator', user: undefined })).toBeUndefined();
      expect(refusalOf(method, policy, { peer: 'gateway', user: undefined })).toBeDefined();
      expect(refusalOf(method, policy, executor())).toBeDefined();
    }
  });

  it('check the permission of every orchestrator and artifact mutation again', () => {
    const mutations: [keyof typeof CALL_POLICIES, string, string][] = [
      ['orchestrator', 'CreateProject', 'ProjectCreate'],
      ['orchestrator', 'UpdateProject', 'ProjectEdit'],
      ['orchestrator', 'DeleteProject', 'ProjectDelete'],
      ['orchestrator', 'CreateEnvironment', 'EnvironmentCreate'],
      ['orchestrator', 'DeleteEnvironment', 'EnvironmentDelete'],
      ['orchestrator', 'UpdateDeploymentProcess', 'ProcessEdit'],
      ['orchestrator', 'UpdateVariables', 'VariableEdit'],
      ['orchestrator', 'CreateRelease', 'ReleaseCreate'],
      ['orchestrator', 'CreateDeployment', 'DeploymentCreate'],
      ['orchestrator', 'CancelTask', 'TaskCancel'],
      ['artifacts', 'UploadPackage', 'BuiltInFeedPush'],
      ['artifacts', 'DeletePackage', 'BuiltInFeedAdminister'],
      ['auth', 'CreateUser', 'UserEdit'],
      ['auth', 'DisableUser', 'UserEdit'],
      ['auth', 'EnableUser', 'UserEdit'],
      ['auth', 'RevokeUserSessions', 'UserEdit'],
      ['auth', 'ResetUserPassword', 'UserEdit'],
      ['auth', 'CreateApiKey', 'ApiKeyEdit'],
    ];
    for (const [service, method, permission] of mutations) {
      const policy = CALL_POLICIES[service][method];
      const others = ALL_PERMISSIONS.filter((held) => held !== permission);
      expect(refusalOf(method, policy, gateway(others))).toMatch(`for a user with ${permission}`);
      expect(refusalOf(method, policy, gateway([permission]))).toBeUndefined();
      expect(refusalOf(method, policy, { peer: 'gateway', user: undefined })).toBeDefined();
    }
  });

  it('let the orchestrator look up packages only for a user creating a release', () => {
    const policy = CALL_POLICIES.artifacts['GetPackage'];
    const orchestrator = (permissions: string[]) => ({ ...gateway(permissions), peer: 'orchestrator' });
    expect(refusalOf('GetPackage', policy, orchestrator(['ReleaseCreate']))).toBeUndefined();
    expect(refusalOf('GetPackage', policy, orchestrator(['FeedView']))).toBeDefined();
    expect(refusalOf('GetPackage', policy, { peer: 'orchestrator', user: undefined })).toBeDefined();
  });

  it('refuse a method nobody declared', () => {
    const authorizer = callAuthorizer('auth', { trustedKeys: new TrustedCallerTokenKeys(() => new Map()) });
    const gatewayPeer = {
      getAuthContext: () => ({
        sslPeerCertificate: {
          subjectaltname: 'URI:spiffe://flotilla.internal/gateway/n1',
        } as PeerCertificate,
      }),
    };
    for (const method of ['toString', 'constructor', '__proto__', 'Backdoor']) {
      expect(
        authorizer.decide(`/flotilla.auth.v1.AuthService/${method}`, gatewayPeer, new Metadata()),
      ).toMatchObject({ admitted: false, code: status.PERMISSION_DENIED });
    }
    expect(refusalOf('AuthService/Backdoor', undefined, gateway(ADMINISTRATOR))).toMatch(
      /declares no call policy/,
    );
  });
});
