/** IPC between restartable-postgres.ts (the test) and restartable-postgres-main.ts (the server's keeper). */
export interface PostgresControlMessage {
  id: number;
  /** dispose: stop for good, remove the data folder, reply, exit. */
  command: 'stop' | 'start' | 'dispose';
}

export type PostgresControlReply =
  | { type: 'ready'; port: number; baseUrl: string }
  /** `at`: epoch ms when the server had exited (stop) or accepted connections again (start). */
  | { type: 'done'; id: number; at: number }
  | { type: 'error'; id: number; error: string };
