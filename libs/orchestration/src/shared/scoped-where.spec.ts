import { In } from 'typeorm';

import { Permission } from '@flotilla/api-interfaces';

import { CallerScope } from './caller-scope';
import { scopedWhere } from './scoped-where';

interface Row {
  projectId: string;
  environmentId: string;
  state: string;
}
const columns = { project: 'projectId', environment: 'environmentId' } as const;
const caller = (grants: ConstructorParameters<typeof CallerScope>[0]['grants']) =>
  new CallerScope({ userId: 'u', username: 'u', clientIp: '', permissions: [], grants });

describe('scopedWhere and CallerScope.filter', () => {
  it('leaves an unrestricted caller with the request as asked', () => {
    const filter = caller([{ permissions: [Permission.TaskView] }]).filter(Permission.TaskView);
    expect(scopedWhere<Row>({ state: 'Queued' }, filter, columns)).toEqual([{ state: 'Queued' }]);
  });

  it("ORs the grants' restrictions, and leaves free a dimension the grant does not restrict", () => {
    const filter = caller([
      { permissions: [Permission.TaskView], projectIds: ['p1'], environmentIds: ['e1', 'e2'] },
      { permissions: [Permission.TaskView], environmentIds: ['e3'] },
      { permissions: [Permission.ProjectView], projectIds: ['p9'] },
    ]).filter(Permission.TaskView);
    expect(scopedWhere<Row>({}, filter, columns)).toEqual([
      { projectId: In(['p1']), environmentId: In(['e1', 'e2']) },
      { environmentId: In(['e3']) },
    ]);
  });

  it('keeps an asked id only where a grant reaches it, and answers nothing when none does', () => {
    const filter = caller([
      { permissions: [Permission.DeploymentView], projectIds: ['p1'], environmentIds: ['e1'] },
    ]).filter(Permission.DeploymentView);
    expect(scopedWhere<Row>({ projectId: 'p1' }, filter, columns)).toEqual([
      { projectId: 'p1', environmentId: In(['e1']) },
    ]);
    expect(scopedWhere<Row>({ projectId: 'p2' }, filter, columns)).toBeUndefined();
  });

  it('reads an empty restriction as nowhere and no grant of the permission as nothing', () => {
    const nowhere = caller([{ permissions: [Permission.TaskView], projectIds: [] }]).filter(
      Permission.TaskView,
    );
    expect(scopedWhere<Row>({}, nowhere, columns)).toBeUndefined();
    const none = caller([{ permissions: [Permission.ProjectView] }]).filter(Permission.TaskView);
    expect(scopedWhere<Row>({}, none, columns)).toBeUndefined();
  });
});
