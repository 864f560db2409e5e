import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, DestroyRef, inject, OnInit, signal } from '@angular/core';
import {
  ClusterNode,
  Permission,
  SharedStorageFolderDiagnostic,
  UpdateNodeRequest,
} from '@flotilla/api-interfaces';

import { NodesApi } from '../api/nodes-api';
import { apiErrorMessage } from '../core/api-error';
import { SessionService } from '../core/session.service';

/** Node state changes with heartbeats (seconds), so the table refreshes on its own. */
const REFRESH_MS = 5000;
export const MAX_TASK_CAP = 1000;

@Component({
  selector: 'flotilla-nodes',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [DatePipe],
  template: `
    <h1>Nodes</h1>
    @if (unwritableStorage(); as storage) {
      <p class="error" role="alert" data-testid="shared-storage-warning">
        Shared storage not writable from node {{ storage.nodeName }}:
        @for (folder of storage.folders; track folder.folder) {
          <span data-testid="shared-storage-folder"
            >{{ folder.folder }} ({{ folder.error }}, {{ folder.errorCode }})</span
          >{{ $last ? '.' : ', ' }}
        }
        Uploads and task logs there fail until an administrator frees space or makes it writable.
      </p>
    }
    @if (actionError(); as message) {
      <p class="error" role="alert" data-testid="node-action-error">{{ message }}</p>
    }
    @if (loading()) {
      <p class="muted">Loading nodes…</p>
    } @else if (loadError(); as message) {
      <p class="error" role="alert">{{ message }}</p>
    } @else if (nodes().length === 0) {
      <p class="muted">No node has registered yet.</p>
    } @else {
      <table data-testid="nodes-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>State</th>
            <th>Last seen</th>
            <th>Task cap</th>
            <th>Running tasks</th>
            <th>Services</th>
            <th>Version</th>
            @if (canAdminister) {
              <th>Actions</th>
            }
          </tr>
        </thead>
        <tbody>
          @for (node of nodes(); track node.name) {
            <tr data-testid="node-row" [attr.data-node]="node.name">
              <td>{{ node.name }}</td>
              <td>
                <span [class]="'badge node-' + node.state.toLowerCase()" data-testid="node-state">{{
                  node.state
                }}</span>
                @if (node.overLicenceLimit || node.state !== 'Running') {
                  <div class="muted small" data-testid="node-status-message">{{ node.statusMessage }}</div>
                }
              </td>
              <td>{{ node.lastSeen | date: 'medium' }}</td>
              <td>
                @if (canAdminister && node.state !== 'Offline') {
                  <input
                    #cap
                    type="number"
                    min="0"
                    [max]="maxTaskCap"
                    class="task-cap"
                    [value]="node.taskCap"
                    [attr.aria-label]="'Task cap of ' + node.name"
                    data-testid="node-task-cap"
                  />
                  <button
                    type="button"
                    class="secondary"
                    [disabled]="busy() === node.name"
                    data-testid="node-task-cap-save"
                    (click)="saveTaskCap(node, cap.value)"
                  >
                    Save
                  </button>
                } @else {
                  {{ node.taskCap }}
                }
              </td>
              <td data-testid="node-running-tasks">{{ node.runningTasks }}</td>
              <td>{{ node.services.join(', ') }}</td>
              <td>{{ node.version }}</td>
              @if (canAdminister) {
                <td class="actions">
                  @if (node.state === 'Offline') {
                    <button
                      type="button"
                      class="danger"
                      [disabled]="busy() === node.name"
                      data-testid="node-remove"
                      (click)="remove(node)"
                    >
                      Remove
                    </button>
                  } @else if (node.isDraining) {
                    <button
                      type="button"
                      [disabled]="busy() === node.name"
                      data-testid="node-resume"
                      (click)="update(node, { isDraining: false })"
                    >
                      Resume
                    </button>
                  } @else {
                    <button
                      type="button"
                      class="secondary"
                      [disabled]="busy() === node.name"
                      data-testid="node-drain"
                      (click)="update(node, { isDraining: true })"
                    >
                      Drain
                    </button>
                  }
                </td>
              }
            </tr>
          }
        </tbody>
      </table>
    }
  `,
})
export class NodesPage implements OnInit {
  private readonly api = inject(NodesApi);
  protected readonly canAdminister = inject(SessionService).can(Permission.AdministerSystem);
  protected readonly maxTaskCap = MAX_TASK_CAP;

  protected readonly nodes = signal<ClusterNode[]>([]);
  protected readonly loading = signal(true);
  protected readonly loadError = signal<string | null>(null);
  protected readonly actionError = signal<string | null>(null);
  /** Set while the answering node cannot write some shared-storage folder: those folders. */
  protected readonly unwritableStorage = signal<{
    nodeName: string;
    folders: SharedStorageFolderDiagnostic[];
  } | null>(null);
  /** The node whose change is in flight, so its buttons cannot be pressed twice. */
  protected readonly busy = signal<string | null>(null);

  constructor() {
    const timer = setInterval(() => void this.load(), REFRESH_MS);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }

  ngOnInit(): void {
    void this.load();
  }

  protected saveTaskCap(node: ClusterNode, value: string): void {
    const taskCap = Number(value);
    if (value.trim() === '' || !Number.isInteger(taskCap) || taskCap < 0 || taskCap > MAX_TASK_CAP) {
      this.actionError.set(`The task cap must be a whole number from 0 to ${MAX_TASK_CAP}`);
      return;
    }
    void this.update(node, { taskCap });
  }

  protected async update(node: ClusterNode, change: UpdateNodeRequest): Promise<void> {
    await this.act(node, async () => {
      const updated = await this.api.update(node.name, change);
      this.nodes.update((list) => list.map((item) => (item.name === updated.name ? updated : item)));
    });
  }

  protected async remove(node: ClusterNode): Promise<void> {
    await this.act(node, async () => {
      await this.api.remove(node.name);
      this.nodes.update((list) => list.filter((item) => item.name !== node.name));
    });
  }

  private async act(node: ClusterNode, change: () => Promise<void>): Promise<void> {
    this.busy.set(node.name);
    this.actionError.set(null);
    try {
      await change();
    } catch (error: unknown) {
      this.actionError.set(apiErrorMessage(error));
    } finally {
      this.busy.set(null);
    }
  }

  private async load(): Promise<void> {
    void this.loadDiagnostics();
    try {
      this.nodes.set(await this.api.list());
      this.loadError.set(null);
    } catch (error: unknown) {
      this.loadError.set(apiErrorMessage(error));
    } finally {
      this.loading.set(false);
    }
  }

  /** Best effort: the table stands on its own when diagnostics cannot be read. */
  private async loadDiagnostics(): Promise<void> {
    try {
      const seen = await this.api.diagnostics();
      const folders = seen.sharedStorage.folders.filter((folder) => !folder.writable);
      this.unwritableStorage.set(folders.length > 0 ? { nodeName: seen.nodeName, folders } : null);
    } catch {
      this.unwritableStorage.set(null);
    }
  }
}
