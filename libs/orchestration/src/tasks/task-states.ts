/** Octopus-compatible server-task states. */
export const TASK_STATES = [
  'Queued',
  'Executing',
  'Cancelling',
  'Success',
  'Failed',
  'Canceled',
  'TimedOut',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** States an executor may finish a task in. */
export const FINAL_STATES = ['Success', 'Failed', 'Canceled', 'TimedOut'] as const;
export type FinalState = (typeof FINAL_STATES)[number];

/** States in which a node owns the task and may write about it with its claim. */
export const OWNED_STATES: readonly TaskState[] = ['Executing', 'Cancelling'];

export function isTaskState(value: string): value is TaskState {
  return (TASK_STATES as readonly string[]).includes(value);
}

export function isFinalState(value: string): value is FinalState {
  return (FINAL_STATES as readonly string[]).includes(value);
}
