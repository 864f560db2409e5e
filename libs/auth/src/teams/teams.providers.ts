import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';

import { TeamsRepository } from './teams.repository';
import { TeamsService } from './teams.service';

/** AuthModule's providers for team administration. */
export const teamsProviders: Provider[] = [
  {
    provide: TeamsService,
    inject: [DataSource, AuditRecorder],
    useFactory: (dataSource: DataSource, audit: AuditRecorder) =>
      new TeamsService(dataSource, new TeamsRepository(), audit),
  },
];
