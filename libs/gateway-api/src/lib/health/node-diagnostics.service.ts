import { Inject, Injectable } from '@nestjs/common';

import type { NodeDiagnostics } from '@flotilla/api-interfaces';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { SharedStorageProbe } from '@flotilla/platform/storage';

/** What this node sees of its surroundings, for operators and the portal's Nodes page. */
@Injectable()
export class NodeDiagnosticsService {
  constructor(
    @Inject(FLOTILLA_CONFIG) private readonly config: Pick<FlotillaConfig, 'nodeName'>,
    @Inject(SharedStorageProbe) private readonly storage: Pick<SharedStorageProbe, 'check'>,
  ) {}

  async diagnostics(): Promise<NodeDiagnostics> {
    return { nodeName: this.config.nodeName, sharedStorage: await this.storage.check() };
  }
}
