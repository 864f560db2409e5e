import { performance } from 'node:perf_hooks';

import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { Permission } from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import type { authV1 } from '@flotilla/contracts';
import type { DirectoryConfig } from '@flotilla/platform/config';
import type { CallerIdentity } from '@flotilla/platform/grpc';

import { adUserFilter, ldapUserFilter } from '../directory/directory-filters';
import { isLdapAnswer } from '../directory/ldap-connection';
import { parseSignInName } from '../directory/sign-in-name';
import { requirePermission } from '../principal/principal';

import { reachController } from './controller-probe';
import { DiagnosticDirectoryClient } from './diagnostic-directory-client';
import { errorText, type DiagnosticStep } from './diagnostic-step';
import {
  classifyGroups,
  describeAccountAttributes,
  emptyDiagnosis,
  nameRules,
  primaryGroupSid,
  refusalOf,
  stepToWire,
  whyNobody,
} from './directory-diagnosis';
import type { TeamsOfGroupsLookup } from './team-lookup';

/** How much of a typed name the audit trail keeps (NUL escaped), like sign-in's trail. */
function auditedName(name: string): string {
  return name.replaceAll('\u0000', '\\x00').slice(0, 200);
}

/**
 * Tests a sign-in name's directory path for an administrator (AdministerSystem, re-checked here):
 * the name's form and the filter, the entry found (or none, or several), its key, the state sign-in
 * would refuse it for, its groups (direct, nested, primary) and teams, the controller that answered
 * and each step's time, or which controller failed, why and after how long. Never takes a password
 * and never binds as the user: everything is read with the search account. Each run is audited
 * (who tested which name, and the outcome).
 */
export class DirectoryDiagnosticsService {
  private readonly logger = new Logger(DirectoryDiagnosticsService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditRecorder,
    private readonly config: DirectoryConfig | undefined,
    private readonly teams: TeamsOfGroupsLookup | undefined,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async diagnose(caller: CallerIdentity, typedName: string): Promise<authV1.DirectoryDiagnostics> {
    requirePermission(caller, Permission.AdministerSystem);
    const diagnosis = await this.run(typedName);
    await this.dataSource.transaction((manager) =>
      this.audit.record(manager, {
        actor: caller,
        action: 'directory.sign-in-diagnosed',
        resourceType: 'DirectoryUser',
        resourceId: diagnosis.userKey || auditedName(typedName),
        details: {
          name: auditedName(typedName),
          outcome: diagnosis.outcome,
          dn: diagnosis.dn,
          answeredBy: diagnosis.answeredBy,
        },
      }),
    );
    return diagnosis;
  }

  private async run(typedName: string): Promise<authV1.DirectoryDiagnostics> {
    const diagnosis = emptyDiagnosis();
    const config = this.config;
    if (!config) {
      return {
        ...diagnosis,
        outcome: 'not-configured',
        message: 'No directory is configured (FLOTILLA_DIRECTORY_KIND)',
      };
    }
    const started = performance.now();
    const steps: DiagnosticStep[] = [];
    Object.assign(diagnosis, {
      configured: true,
      directoryKind: config.kind,
      baseDn: config.baseDn,
      groupBaseDn: config.groupBaseDn,
    });
    const finish = (fields: Partial<authV1.DirectoryDiagnostics>): authV1.DirectoryDiagnostics => ({
      ...diagnosis,
      ...fields,
      steps: steps.map(stepToWire),
      totalMs: Math.round((performance.now() - started) * 10) / 10,
    });

    const name = parseSignInName(typedName, nameRules(config));
    if (!name) {
      return finish({
        nameForm: 'invalid',
        outcome: 'invalid-name',
        message: whyNobody(typedName, nameRules(config)),
      });
    }
    diagnosis.nameForm = name.form;
    diagnosis.filter = (config.kind === 'ad' ? adUserFilter(name) : ldapUserFilter(name)).toString();

    const reached = await reachController(config, steps);
    if (!reached.connection) return finish({ outcome: 'unavailable', message: reached.reason });
    const connection = reached.connection;
    diagnosis.answeredBy = connection.url;
    const client = new DiagnosticDirectoryClient(config, steps, this.now);
    try {
      const found = await client.lookUp(connection, name);
      diagnosis.matchedDns = found.matchedDns;
      if (found.matchedDns.length > 1) {
        return finish({
          outcome: 'ambiguous',
          message: `The name matches ${found.matchedDns.length} entries: sign-in refuses it (one generic message) rather than guess`,
        });
      }
      if (!found.entry) {
        return finish({
          outcome: 'not-found',
          message: `No user entry under ${config.baseDn} answers to this name`,
        });
      }
      const user = client.describeEntry(found.entry);
      Object.assign(diagnosis, {
        dn: user.dn,
        userKey: user.externalId,
        accountName: user.accountName,
        principalName: user.principalName ?? '',
        displayName: user.displayName,
      });
      if (found.accountAttributes) {
        diagnosis.accountAttributes = describeAccountAttributes(found.accountAttributes);
        Object.assign(diagnosis, refusalOf(found.accountAttributes, this.now()));
      }
      const { groups, directDns } = await client.groupsOf(connection, found.entry);
      const primary = config.kind === 'ad' ? primaryGroupSid(found.entry) : undefined;
      diagnosis.groups = classifyGroups(groups, directDns, primary);
      Object.assign(diagnosis, await this.teamsOf(groups.map((group) => group.id)));
      return finish({ outcome: 'found', message: this.foundMessage(diagnosis) });
    } catch (error) {
      // An LDAP answer (or an entry Flotilla cannot use) is the directory's; anything else: the controller went away.
      const answered =
        isLdapAnswer(error) || (error instanceof Error && error.name === 'DirectoryProtocolError');
      this.logger.warn(`Directory diagnostics on ${connection.url}: ${errorText(error)}`);
      return finish({
        outcome: answered ? 'error' : 'unavailable',
        message: answered
          ? `The directory answered an error: ${errorText(error)}`
          : `Domain controller ${connection.url} stopped answering: ${errorText(error)}`,
      });
    } finally {
      await connection.close();
    }
  }

  private foundMessage(diagnosis: authV1.DirectoryDiagnostics): string {
    if (diagnosis.refusal) return `Found; sign-in would refuse it: ${diagnosis.refusalCode}`;
    return 'Found; with the right password this account would sign in';
  }

  private async teamsOf(
    groupIds: string[],
  ): Promise<Pick<authV1.DirectoryDiagnostics, 'teamsResolved' | 'teams' | 'teamNote'>> {
    if (!this.teams) {
      return {
        teamsResolved: false,
        teams: [],
        teamNote: 'Teams are not looked up here yet: the group ids above are what teams list as members',
      };
    }
    try {
      const teams = await this.teams.teamsOfGroups(groupIds);
      return { teamsResolved: true, teams, teamNote: '' };
    } catch (error) {
      return {
        teamsResolved: false,
        teams: [],
        teamNote: `Teams could not be looked up: ${errorText(error)}`,
      };
    }
  }
}
