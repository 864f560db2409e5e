import { Routes } from '@angular/router';
import { Permission } from '@flotilla/api-interfaces';

import { permissionGuard, signedInGuard } from './core/guards';
import { ShellComponent } from './shell/shell.component';

export const appRoutes: Routes = [
  {
    path: 'sign-in',
    title: 'Sign in · Flotilla',
    loadComponent: () => import('./sign-in/sign-in.page').then((m) => m.SignInPage),
  },
  {
    path: '',
    component: ShellComponent,
    canActivate: [signedInGuard],
    children: [
      { path: '', pathMatch: 'full', redirectTo: 'projects' },
      {
        path: 'projects',
        title: 'Projects · Flotilla',
        loadComponent: () => import('./projects/projects.page').then((m) => m.ProjectsPage),
      },
      {
        path: 'projects/:projectId',
        title: 'Project · Flotilla',
        loadComponent: () => import('./project/project.page').then((m) => m.ProjectPage),
      },
      {
        path: 'environments',
        title: 'Environments · Flotilla',
        loadComponent: () => import('./environments/environments.page').then((m) => m.EnvironmentsPage),
      },
      {
        path: 'packages',
        title: 'Packages · Flotilla',
        loadComponent: () => import('./packages/packages.page').then((m) => m.PackagesPage),
      },
      {
        path: 'tasks',
        title: 'Tasks · Flotilla',
        loadComponent: () => import('./tasks/tasks.page').then((m) => m.TasksPage),
      },
      {
        path: 'tasks/:taskId',
        title: 'Task · Flotilla',
        loadComponent: () => import('./tasks/task.page').then((m) => m.TaskPage),
      },
      {
        path: 'nodes',
        title: 'Nodes · Flotilla',
        canActivate: [permissionGuard(Permission.TaskView)],
        loadComponent: () => import('./nodes/nodes.page').then((m) => m.NodesPage),
      },
      {
        path: 'events',
        title: 'Audit events · Flotilla',
        canActivate: [permissionGuard(Permission.EventView)],
        loadComponent: () => import('./events/events.page').then((m) => m.EventsPage),
      },
      {
        path: 'audit-archives',
        title: 'Audit archives · Flotilla',
        canActivate: [permissionGuard(Permission.EventView)],
        loadComponent: () => import('./audit-archives/audit-archives.page').then((m) => m.AuditArchivesPage),
      },
      {
        path: 'users',
        title: 'Users · Flotilla',
        canActivate: [permissionGuard(Permission.UserEdit)],
        loadComponent: () => import('./users/users.page').then((m) => m.UsersPage),
      },
      {
        path: 'teams',
        title: 'Teams · Flotilla',
        canActivate: [permissionGuard(Permission.UserView)],
        loadComponent: () => import('./teams/teams.page').then((m) => m.TeamsPage),
      },
      {
        path: 'api-keys',
        title: 'API keys · Flotilla',
        canActivate: [permissionGuard(Permission.ApiKeyEdit)],
        loadComponent: () => import('./api-keys/api-keys.page').then((m) => m.ApiKeysPage),
      },
      {
        path: 'directory',
        title: 'Directory · Flotilla',
        canActivate: [permissionGuard(Permission.AdministerSystem)],
        loadComponent: () => import('./directory/directory.page').then((m) => m.DirectoryPage),
      },
    ],
  },
  { path: '**', redirectTo: '' },
];
