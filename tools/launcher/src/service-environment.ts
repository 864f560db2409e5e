import { adminPasswordOnlyForAuth } from '@flotilla/auth';
import { NodeServiceName } from '@flotilla/cluster/protocol';
import { masterKeyOnlyForOrchestrator } from '@flotilla/platform/secrets';

/**
 * What one service process of `npm start` gets of the launcher's environment: the master key only
 * for the orchestrator, the admin password (and whether it was generated) only for auth.
 */
export function serviceEnvironment(service: NodeServiceName, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return adminPasswordOnlyForAuth(service, masterKeyOnlyForOrchestrator(service, env));
}
