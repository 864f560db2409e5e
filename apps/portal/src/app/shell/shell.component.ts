import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { Permission } from '@flotilla/api-interfaces';

import { SessionService } from '../core/session.service';
import { LicenceBannerComponent } from '../nodes/licence-banner.component';

/** The frame around every signed-in page: navigation, who is signed in, sign out. */
@Component({
  selector: 'flotilla-shell',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterOutlet, RouterLink, RouterLinkActive, LicenceBannerComponent],
  template: `
    <header class="app-header">
      <a class="brand" routerLink="/projects">Flotilla</a>
      <nav aria-label="Main">
        @if (session.can(permission.ProjectView)) {
          <a routerLink="/projects" routerLinkActive="active">Projects</a>
        }
        @if (session.can(permission.EnvironmentView)) {
          <a routerLink="/environments" routerLinkActive="active">Environments</a>
        }
        @if (session.can(permission.FeedView)) {
          <a routerLink="/packages" routerLinkActive="active">Packages</a>
        }
        @if (session.can(permission.TaskView)) {
          <a routerLink="/tasks" routerLinkActive="active">Tasks</a>
        }
        @if (session.can(permission.TaskView)) {
          <a routerLink="/nodes" routerLinkActive="active" data-testid="nav-nodes">Nodes</a>
        }
        @if (session.can(permission.EventView)) {
          <a routerLink="/events" routerLinkActive="active" data-testid="nav-events">Audit</a>
        }
        @if (session.can(permission.EventView)) {
          <a routerLink="/audit-archives" routerLinkActive="active" data-testid="nav-audit-archives"
            >Archives</a
          >
        }
        @if (session.can(permission.UserEdit)) {
          <a routerLink="/users" routerLinkActive="active" data-testid="nav-users">Users</a>
        }
        @if (session.can(permission.UserView)) {
          <a routerLink="/teams" routerLinkActive="active" data-testid="nav-teams">Teams</a>
        }
        @if (session.can(permission.ApiKeyEdit)) {
          <a routerLink="/api-keys" routerLinkActive="active" data-testid="nav-api-keys">API keys</a>
        }
        @if (session.can(permission.AdministerSystem)) {
          <a routerLink="/directory" routerLinkActive="active" data-testid="nav-directory">Directory</a>
        }
      </nav>
      <span class="spacer"></span>
      @if (session.user(); as user) {
        <span class="user" data-testid="current-user" [title]="user.username">{{
          user.displayName || user.username
        }}</span>
      }
      <button type="button" class="secondary" data-testid="sign-out" (click)="signOut()">Sign out</button>
    </header>
    <flotilla-licence-banner />
    <main class="app-main">
      <router-outlet />
    </main>
  `,
})
export class ShellComponent {
  protected readonly session = inject(SessionService);
  protected readonly permission = Permission;
  private readonly router = inject(Router);

  protected async signOut(): Promise<void> {
    await this.session.signOut();
    await this.router.navigate(['/sign-in']);
  }
}
