import type { Request } from 'express';

import type { CallerIdentity } from '@flotilla/platform/grpc';

/** The authenticated caller, attached to the request by the guard. */
export interface RequestCaller {
  identity: CallerIdentity;
  displayName: string;
  /** The credential the caller presented, so sign-out can end exactly that session. */
  token: string;
}

export interface GatewayRequest extends Request {
  caller?: RequestCaller;
}
