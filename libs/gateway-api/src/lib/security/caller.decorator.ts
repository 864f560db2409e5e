import { createParamDecorator, ExecutionContext, InternalServerErrorException } from '@nestjs/common';

import type { GatewayRequest, RequestCaller } from './gateway-request';

/** The caller the guard attached; every route has one (anonymous on public routes). */
export const Caller = createParamDecorator((_: unknown, context: ExecutionContext): RequestCaller => {
  const caller = context.switchToHttp().getRequest<GatewayRequest>().caller;
  // The guard runs before every handler, so a missing caller is a wiring bug, not bad input.
  if (!caller) throw new InternalServerErrorException();
  return caller;
});
