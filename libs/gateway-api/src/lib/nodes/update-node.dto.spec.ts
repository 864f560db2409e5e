import { BadRequestException, ValidationPipe } from '@nestjs/common';

import { MAX_TASK_CAP, UpdateNodeDto } from './update-node.dto';

/** The same pipe options as the app, so these tests see what HTTP clients see. */
const pipe = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });

async function messagesOf(value: unknown): Promise<string[]> {
  try {
    await pipe.transform(value, { type: 'body', metatype: UpdateNodeDto });
  } catch (error) {
    if (error instanceof BadRequestException) return (error.getResponse() as { message: string[] }).message;
    throw error;
  }
  return [];
}

describe(UpdateNodeDto.name, () => {
  it('accepts a task cap alone, a drain flag alone, both, or neither', async () => {
    await expect(messagesOf({ taskCap: 0 })).resolves.toEqual([]);
    await expect(messagesOf({ taskCap: MAX_TASK_CAP })).resolves.toEqual([]);
    await expect(messagesOf({ isDraining: true })).resolves.toEqual([]);
    await expect(messagesOf({ taskCap: 3, isDraining: false })).resolves.toEqual([]);
    await expect(messagesOf({})).resolves.toEqual([]);
  });

  it('refuses task caps outside 0–1000 or not whole numbers', async () => {
    for (const taskCap of [-1, MAX_TASK_CAP + 1, 2.5, '5']) {
      await expect(messagesOf({ taskCap })).resolves.toContainEqual(expect.stringContaining('taskCap'));
    }
  });

  it('refuses a drain flag that is not a boolean and unknown fields', async () => {
    await expect(messagesOf({ isDraining: 'yes' })).resolves.toContainEqual(
      expect.stringContaining('isDraining'),
    );
    await expect(messagesOf({ state: 'Offline' })).resolves.toContain('property state should not exist');
  });
});
