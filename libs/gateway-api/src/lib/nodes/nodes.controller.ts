import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';

import { ClusterNode, ItemList, Permission } from '@flotilla/api-interfaces';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { RequirePermission } from '../security/route-access';

@ApiTags('nodes')
@Controller('nodes')
export class NodesController {
  constructor(private readonly backends: BackendClients) {}

  /** Nodes are where tasks run, so whoever may see tasks may see the nodes. */
  @Get()
  @RequirePermission(Permission.TaskView)
  async list(@Caller() caller: RequestCaller): Promise<ItemList<ClusterNode>> {
    const reply = await unary(this.backends.orchestrator.listNodes({}, identityToMetadata(caller.identity)));
    return { items: reply.items };
  }
}
