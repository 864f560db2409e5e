import type { orchestratorV1 } from '@flotilla/contracts';

import { buildTaskPlan, scopeVariables } from './task-plan.builder';

const variable = (
  name: string,
  value: string,
  environmentIds: string[] = [],
  isSensitive = false,
): orchestratorV1.Variable => ({
  name,
  value,
  environmentIds,
  isSensitive,
});

describe(scopeVariables.name, () => {
  it('keeps unscoped variables and those scoped to the environment, dropping other scopes', () => {
    const sut = scopeVariables(
      [variable('A', '1'), variable('B', '2', ['prod']), variable('C', '3', ['test', 'prod'])],
      'test',
    );
    expect(sut.map((v) => v.name)).toEqual(['A', 'C']);
  });

  it('lets an environment-scoped value win over an unscoped one of the same name, in either order', () => {
    expect(scopeVariables([variable('Port', '80'), variable('Port', '8080', ['test'])], 'test')).toEqual([
      variable('Port', '8080', ['test']),
    ]);
    expect(scopeVariables([variable('port', '8080', ['test']), variable('Port', '80')], 'test')).toEqual([
      variable('port', '8080', ['test']),
    ]);
    expect(scopeVariables([variable('Port', '80'), variable('Port', '8080', ['test'])], 'prod')).toEqual([
      variable('Port', '80'),
    ]);
  });

  it('keeps the first of equally specific values', () => {
    expect(scopeVariables([variable('X', 'first'), variable('X', 'second')], 'test')).toEqual([
      variable('X', 'first'),
    ]);
  });
});

describe(buildTaskPlan.name, () => {
  it('starts at the task next step and carries the frozen release with scoped variables', () => {
    const task = { id: 't1', nextStep: 2 } as orchestratorV1.ServerTask;
    const steps = [{ name: 'Run', actionType: 'run-script', properties: { scriptBody: 'true' } }];
    const packages = [{ stepName: 'Web', packageId: 'web', version: '1.0.0' }];
    const sut = buildTaskPlan({
      task,
      project: { name: 'Web App', slug: 'web-app' },
      environment: { id: 'e1', name: 'Test', slug: 'test' },
      release: {
        version: '1.2.3',
        steps,
        packages,
        variables: [variable('Secret', 's', ['e1'], true), variable('Other', 'o', ['e2'])],
      },
    });
    expect(sut).toEqual({
      task,
      projectName: 'Web App',
      projectSlug: 'web-app',
      environmentName: 'Test',
      environmentSlug: 'test',
      releaseVersion: '1.2.3',
      steps,
      variables: [variable('Secret', 's', ['e1'], true)],
      packages,
      startAtStep: 2,
    });
  });
});
