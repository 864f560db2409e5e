import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import type { orchestratorV1 } from '@flotilla/contracts';

import { validateSteps } from './process-validation';

const script = (
  name: string,
  properties: Record<string, string> = { scriptBody: 'echo hi' },
): orchestratorV1.DeploymentStep => ({
  name,
  actionType: 'run-script',
  properties,
});

function rejection(run: () => unknown): { code: number; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof RpcException) return error.getError() as { code: number; message: string };
    throw error;
  }
  throw new Error('expected a rejection');
}

describe(validateSteps.name, () => {
  it('accepts a script and a package step and trims names and package ids', () => {
    const sut = validateSteps([
      script('  Say hi ', { scriptBody: 'echo hi', timeoutSeconds: '30' }),
      { name: 'Web', actionType: 'deploy-package', properties: { packageId: ' web-app ' } },
    ]);
    expect(sut.map((step) => step.name)).toEqual(['Say hi', 'Web']);
    expect(sut[1]?.properties).toEqual({ packageId: 'web-app' });
  });

  it.each([
    ['no steps', [], 'at least one step'],
    ['51 steps', Array.from({ length: 51 }, (_, i) => script(`s${i}`)), 'at most 50 steps'],
    ['an empty name', [script('  ')], 'step 1 needs a name'],
    ['a duplicate name', [script('Build'), script('build')], '"build" is used twice'],
    [
      'an unknown action',
      [{ name: 'x', actionType: 'run-powershell', properties: {} }],
      'actionType must be one of',
    ],
    ['an empty script', [script('x', { scriptBody: '  ' })], 'non-empty scriptBody'],
    ['a zero timeout', [script('x', { scriptBody: 'true', timeoutSeconds: '0' })], 'timeoutSeconds'],
    [
      'a day-and-a-second timeout',
      [script('x', { scriptBody: 'true', timeoutSeconds: '86401' })],
      'timeoutSeconds',
    ],
    ['a fractional timeout', [script('x', { scriptBody: 'true', timeoutSeconds: '1.5' })], 'timeoutSeconds'],
    [
      'a package step without package',
      [{ name: 'x', actionType: 'deploy-package', properties: {} }],
      'needs a packageId',
    ],
  ])('refuses %s with INVALID_ARGUMENT', (_case, steps, message) => {
    const error = rejection(() => validateSteps(steps));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.message).toContain(message);
  });

  it('accepts the boundary timeouts and 50 steps', () => {
    expect(validateSteps([script('a', { scriptBody: 'true', timeoutSeconds: '1' })])).toHaveLength(1);
    expect(validateSteps([script('a', { scriptBody: 'true', timeoutSeconds: '86400' })])).toHaveLength(1);
    expect(validateSteps(Array.from({ length: 50 }, (_, i) => script(`s${i}`)))).toHaveLength(50);
  });
});
