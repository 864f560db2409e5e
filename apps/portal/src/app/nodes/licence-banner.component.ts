import {
  ChangeDetectionStrategy,
  Component,
  computed,
  DestroyRef,
  inject,
  OnInit,
  signal,
} from '@angular/core';
import { ClusterNode, Permission } from '@flotilla/api-interfaces';

import { NodesApi } from '../api/nodes-api';
import { SessionService } from '../core/session.service';

/** Operators should not miss a node that silently runs no tasks, so the check repeats. */
const REFRESH_MS = 30_000;

/**
 * A warning across every page while any node is over the licence's node limit (which is also how a
 * cluster without a licence shows: every node after the first is over the limit of 1).
 */
@Component({
  selector: 'flotilla-licence-banner',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (messages().length > 0) {
      <div class="licence-banner" role="alert" data-testid="licence-banner">
        <strong>Licence:</strong>
        @for (message of messages(); track message) {
          <span data-testid="licence-banner-message">{{ message }}</span>
        }
      </div>
    }
  `,
})
export class LicenceBannerComponent implements OnInit {
  private readonly api = inject(NodesApi);
  private readonly session = inject(SessionService);
  private readonly nodes = signal<ClusterNode[]>([]);

  protected readonly messages = computed(() => {
    const over = this.nodes().filter((node) => node.overLicenceLimit);
    return [...new Set(over.map((node) => `${node.name}: ${node.statusMessage}`))];
  });

  constructor() {
    const timer = setInterval(() => void this.load(), REFRESH_MS);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }

  ngOnInit(): void {
    void this.load();
  }

  private async load(): Promise<void> {
    if (!this.session.can(Permission.TaskView)) return;
    try {
      this.nodes.set(await this.api.list());
    } catch {
      // The banner is a hint; the Nodes page reports errors.
    }
  }
}
