import { ChangeDetectionStrategy, Component } from '@angular/core';

import { DirectoryDiagnosticsComponent } from './directory-diagnostics.component';
import { DirectorySyncStatusComponent } from './directory-sync-status.component';

/** The directory for administrators (route guarded by AdministerSystem): the sync's state and sign-in diagnostics. */
@Component({
  selector: 'flotilla-directory',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [DirectorySyncStatusComponent, DirectoryDiagnosticsComponent],
  template: `
    <h1>Directory</h1>
    <flotilla-directory-sync-status />
    <flotilla-directory-diagnostics />
  `,
})
export class DirectoryPage {}
