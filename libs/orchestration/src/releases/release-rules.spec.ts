import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import type { orchestratorV1 } from '@flotilla/contracts';

import { resolveReleasePackages, validReleaseVersion } from './release-rules';

function errorOf(run: () => unknown): { code: number; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof RpcException) return error.getError() as { code: number; message: string };
    throw error;
  }
  throw new Error('expected a rejection');
}

const steps: orchestratorV1.DeploymentStep[] = [
  { name: 'Script', actionType: 'run-script', properties: { scriptBody: 'true' } },
  { name: 'Web', actionType: 'deploy-package', properties: { packageId: 'web' } },
  { name: 'Api', actionType: 'deploy-package', properties: { packageId: 'api' } },
];

describe(validReleaseVersion.name, () => {
  it.each(['1.2.3', '1.2.3.4', '1.2.3-beta.1', '10.0.0-rc-2', '1.0.0+build.7'])('accepts %s', (version) => {
    expect(validReleaseVersion(version)).toBe(version);
  });

  it.each(['', '1.2', 'v1.2.3', '1.2.3.4.5', '1.2.3-', '1.2.3-beta..1', 'latest'])(
    'refuses "%s"',
    (version) => {
      expect(errorOf(() => validReleaseVersion(version)).code).toBe(status.INVALID_ARGUMENT);
    },
  );
});

describe(resolveReleasePackages.name, () => {
  it('matches by step name first, else by package id, one entry per package step', () => {
    const sut = resolveReleasePackages(steps, [
      { stepName: '', packageId: 'web', version: '1.0.0' },
      { stepName: 'Api', packageId: '', version: '2.0.0' },
    ]);
    expect(sut).toEqual([
      { stepName: 'Web', packageId: 'web', version: '1.0.0' },
      { stepName: 'Api', packageId: 'api', version: '2.0.0' },
    ]);
  });

  it('refuses a release missing the version of a package step', () => {
    const error = errorOf(() =>
      resolveReleasePackages(steps, [{ stepName: 'Web', packageId: 'web', version: '1.0.0' }]),
    );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.message).toContain('step "Api"');
  });

  it('refuses an entry that matches no package step, and one without a version', () => {
    const complete = [
      { stepName: 'Web', packageId: 'web', version: '1' },
      { stepName: 'Api', packageId: 'api', version: '1' },
    ];
    expect(
      errorOf(() =>
        resolveReleasePackages(steps, [...complete, { stepName: 'Nope', packageId: '', version: '1' }]),
      ).message,
    ).toContain('matches no deploy-package step');
    expect(
      errorOf(() => resolveReleasePackages(steps, [{ stepName: 'Web', packageId: 'web', version: ' ' }]))
        .message,
    ).toContain('needs a version');
  });

  it('needs nothing for a process without package steps', () => {
    expect(resolveReleasePackages(steps.slice(0, 1), [])).toEqual([]);
  });
});
