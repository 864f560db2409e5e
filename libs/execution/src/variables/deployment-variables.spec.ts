import { orchestratorV1 } from '@flotilla/contracts';

import {
  DeploymentVariables,
  redactor,
  substituteVariables,
  upperSnakeName,
  variablesAsEnvironment,
} from './deployment-variables';

function plan(overrides: Partial<orchestratorV1.TaskPlan> = {}): orchestratorV1.TaskPlan {
  return {
    task: { id: 'task-1', deploymentId: 'dep-1' } as orchestratorV1.ServerTask,
    projectName: 'Web Shop',
    projectSlug: 'web-shop',
    environmentName: 'Production',
    environmentSlug: 'production',
    releaseVersion: '1.2.3',
    steps: [],
    variables: [{ name: 'Greeting', value: 'hello', environmentIds: [], isSensitive: false }],
    packages: [],
    startAtStep: 0,
    ...overrides,
  };
}

describe(DeploymentVariables.name, () => {
  it('has the built-in variables of the plan, which a project variable cannot override', () => {
    const sut = DeploymentVariables.forPlan(
      plan({
        variables: [
          { name: 'Octopus.Project.Name', value: 'spoofed', environmentIds: [], isSensitive: false },
        ],
      }),
    );
    expect(sut.get('Octopus.Project.Name')).toBe('Web Shop');
    expect(sut.get('Octopus.Environment.Name')).toBe('Production');
    expect(sut.get('Octopus.Release.Number')).toBe('1.2.3');
    expect(sut.get('Octopus.Task.Id')).toBe('task-1');
    expect(sut.get('Octopus.Deployment.Id')).toBe('dep-1');
  });

  it('matches names case-insensitively, preferring the exact spelling', () => {
    const sut = new DeploymentVariables([
      { name: 'port', value: '1' },
      { name: 'Port', value: '2' },
    ]);
    expect(sut.get('PORT')).toBe('1');
    expect(sut.get('Port')).toBe('2');
  });
});

describe(substituteVariables.name, () => {
  const variables = DeploymentVariables.forPlan(plan());

  it('replaces known names and leaves unknown ones as written', () => {
    expect(substituteVariables('echo #{Greeting} #{Octopus.Release.Number} #{Missing}', variables)).toBe(
      'echo hello 1.2.3 #{Missing}',
    );
  });

  it('does not substitute again inside a substituted value', () => {
    const sut = new DeploymentVariables([
      { name: 'A', value: '#{B}' },
      { name: 'B', value: 'b' },
    ]);
    expect(substituteVariables('#{A}', sut)).toBe('#{B}');
  });

  it('leaves bash syntax alone', () => {
    expect(substituteVariables('echo ${HOME} $(date) #comment {x}', variables)).toBe(
      'echo ${HOME} $(date) #comment {x}',
    );
  });
});

describe(variablesAsEnvironment.name, () => {
  it('gives each variable under its own name and its UPPER_SNAKE form', () => {
    const env = variablesAsEnvironment(
      new DeploymentVariables([{ name: 'Octopus.Project.Name', value: 'Web Shop' }]),
    );
    expect(env).toEqual({ 'Octopus.Project.Name': 'Web Shop', OCTOPUS_PROJECT_NAME: 'Web Shop' });
  });

  it('skips a name the OS cannot carry but keeps its UPPER_SNAKE form', () => {
    const env = variablesAsEnvironment(new DeploymentVariables([{ name: 'a=b', value: 'v' }]));
    expect(env).toEqual({ A_B: 'v' });
  });

  it('skips values with NUL bytes', () => {
    expect(variablesAsEnvironment(new DeploymentVariables([{ name: 'X', value: 'a\0b' }]))).toEqual({});
  });
});

describe(upperSnakeName.name, () => {
  it.each([
    ['Octopus.Release.Number', 'OCTOPUS_RELEASE_NUMBER'],
    [
      'Flotilla.Package.Web App.InstallationDirectoryPath',
      'FLOTILLA_PACKAGE_WEB_APP_INSTALLATIONDIRECTORYPATH',
    ],
    ['db-password', 'DB_PASSWORD'],
  ])('%s → %s', (name, expected) => {
    expect(upperSnakeName(name)).toBe(expected);
  });
});

describe(redactor.name, () => {
  it('masks every sensitive value, longest first', () => {
    const sut = redactor(['secret', 'secret-longer']);
    expect(sut('a secret-longer and a secret')).toBe('a ******** and a ********');
  });

  it('leaves messages alone when nothing is sensitive', () => {
    expect(redactor([])('plain')).toBe('plain');
  });
});
