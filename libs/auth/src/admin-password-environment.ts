/** The bootstrap administrator's password (configured, or made by `npm start`). */
export const ADMIN_PASSWORD_ENV = 'FLOTILLA_ADMIN_PASSWORD';
/**
 * `true` when the tooling generated FLOTILLA_ADMIN_PASSWORD rather than the operator choosing it:
 * the administrator it creates must then change it at first sign-in (a printed password has been
 * on a terminal, in scrollback and in a file).
 */
export const ADMIN_PASSWORD_GENERATED_ENV = 'FLOTILLA_ADMIN_PASSWORD_GENERATED';

/**
 * The environment for one service process: only auth, which creates the bootstrap administrator,
 * gets the admin password; every other service (the executor whose scripts run beside it above
 * all) has nothing of it to find in its environment. The equivalent of the master key's
 * `masterKeyOnlyForOrchestrator`.
 */
export function adminPasswordOnlyForAuth(service: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (service === 'auth') return env;
  const { [ADMIN_PASSWORD_ENV]: _password, [ADMIN_PASSWORD_GENERATED_ENV]: _generated, ...rest } = env;
  return rest;
}

/** Whether the environment says the admin password was generated (exactly `true`). */
export function adminPasswordWasGenerated(env: NodeJS.ProcessEnv): boolean {
  return env[ADMIN_PASSWORD_GENERATED_ENV] === 'true';
}
