import { ArgumentMetadata, BadRequestException, Type, ValidationPipe } from '@nestjs/common';

import { UpdateDeploymentProcessDto, UpdateVariablesDto, CreateProjectDto } from '../projects/projects.dto';
import { UploadPackageQueryDto } from '../packages/packages.dto';
import { ListTasksQueryDto } from '../tasks/tasks.dto';
import { CreateUserDto, LoginDto } from '../users/users.dto';

/** The same pipe options as the app, so these tests see what HTTP clients see. */
const sut = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });

function validate(metatype: Type, value: unknown, type: ArgumentMetadata['type'] = 'body'): Promise<unknown> {
  return sut.transform(value, { type, metatype }) as Promise<unknown>;
}

async function messagesOf(
  metatype: Type,
  value: unknown,
  type: ArgumentMetadata['type'] = 'body',
): Promise<string[]> {
  try {
    await validate(metatype, value, type);
  } catch (error) {
    if (error instanceof BadRequestException) return (error.getResponse() as { message: string[] }).message;
    throw error;
  }
  throw new Error('validation passed');
}

describe('gateway DTO validation', () => {
  it('accepts a good login and rejects missing or unknown fields', async () => {
    await expect(validate(LoginDto, { username: 'admin', password: 'pw' })).resolves.toBeInstanceOf(LoginDto);
    await expect(messagesOf(LoginDto, { username: 'admin' })).resolves.toContainEqual(
      expect.stringContaining('password'),
    );
    await expect(messagesOf(LoginDto, { username: 'a', password: 'b', isAdmin: true })).resolves.toContain(
      'property isAdmin should not exist',
    );
  });

  it('rejects unknown roles and short passwords for new users', async () => {
    const messages = await messagesOf(CreateUserDto, {
      username: 'u',
      displayName: 'U',
      password: 'short',
      roles: ['God'],
    });
    expect(messages).toEqual(
      expect.arrayContaining([expect.stringContaining('password'), expect.stringContaining('roles')]),
    );
  });

  it('rejects a project without a name', async () => {
    await expect(messagesOf(CreateProjectDto, { name: '' })).resolves.toContainEqual(
      expect.stringContaining('name'),
    );
  });

  it('validates steps inside a deployment process', async () => {
    const good = {
      steps: [{ name: 'Hi', actionType: 'run-script', properties: { scriptBody: 'echo hi' } }],
      retryable: true,
    };
    await expect(validate(UpdateDeploymentProcessDto, good)).resolves.toBeInstanceOf(
      UpdateDeploymentProcessDto,
    );
    const badAction = { ...good, steps: [{ ...good.steps[0], actionType: 'rm-rf' }] };
    await expect(messagesOf(UpdateDeploymentProcessDto, badAction)).resolves.toContainEqual(
      expect.stringContaining('actionType'),
    );
    const badProperties = { ...good, steps: [{ ...good.steps[0], properties: { timeoutSeconds: 30 } }] };
    await expect(messagesOf(UpdateDeploymentProcessDto, badProperties)).resolves.toContainEqual(
      expect.stringContaining('properties'),
    );
  });

  it('rejects a variable without isSensitive', async () => {
    const body = { variables: [{ name: 'Port', value: '80', environmentIds: [] }] };
    await expect(messagesOf(UpdateVariablesDto, body)).resolves.toContainEqual(
      expect.stringContaining('isSensitive'),
    );
  });

  it('converts paging numbers from the query string and rejects bad ones', async () => {
    await expect(
      validate(ListTasksQueryDto, { skip: '10', take: '5', state: 'Queued' }, 'query'),
    ).resolves.toMatchObject({
      skip: 10,
      take: 5,
    });
    await expect(messagesOf(ListTasksQueryDto, { take: 'lots' }, 'query')).resolves.toContainEqual(
      expect.stringContaining('take'),
    );
    await expect(messagesOf(ListTasksQueryDto, { state: 'Sleeping' }, 'query')).resolves.toContainEqual(
      expect.stringContaining('state'),
    );
  });

  it('refuses package file names with a path', async () => {
    await expect(
      messagesOf(UploadPackageQueryDto, { fileName: '../etc/passwd.1.0.zip' }, 'query'),
    ).resolves.toContain('fileName must be a plain file name');
  });
});
