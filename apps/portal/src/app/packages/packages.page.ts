import { DatePipe } from '@angular/common';
import { HttpEventType } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, DestroyRef, inject, OnInit, signal } from '@angular/core';
import { Package, Permission } from '@flotilla/api-interfaces';

import { PackagesApi } from '../api/packages-api';
import { apiErrorMessage } from '../core/api-error';
import { SessionService } from '../core/session.service';
import { PagerComponent } from '../shared/pager.component';
import { formatBytes } from './format-bytes';

const PAGE_SIZE = 25;

@Component({
  selector: 'flotilla-packages',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [DatePipe, PagerComponent],
  template: `
    <h1>Packages</h1>
    @if (session.can(permission.BuiltInFeedPush)) {
      <form
        class="card inline-form"
        (submit)="$event.preventDefault(); upload(fileInput)"
        data-testid="upload-package-form"
      >
        <h2>Upload a package</h2>
        <div class="field grow">
          <label for="package-file"
            >Package file (<code>&lt;id&gt;.&lt;version&gt;.zip</code> or <code>.tar.gz</code>)</label
          >
          <input
            id="package-file"
            #fileInput
            type="file"
            accept=".zip,.tgz,.tar.gz,.gz"
            (change)="selected.set(fileInput.files?.[0] ?? null)"
            data-testid="package-file"
          />
        </div>
        <button type="submit" [disabled]="!selected() || progress() !== null" data-testid="package-upload">
          Upload
        </button>
        @if (progress(); as percent) {
          <div class="field grow">
            <label for="upload-progress">Uploading… {{ percent }}%</label>
            <progress
              id="upload-progress"
              max="100"
              [value]="percent"
              data-testid="upload-progress"
            ></progress>
          </div>
        }
        @if (uploadError(); as message) {
          <p class="error" role="alert" data-testid="upload-error">{{ message }}</p>
        }
        @if (uploaded(); as pkg) {
          <p class="ok" role="status" data-testid="upload-done">
            Uploaded {{ pkg.packageId }} {{ pkg.version }}.
          </p>
        }
      </form>
    }
    <form class="filters" (submit)="$event.preventDefault(); search(filter.value)">
      <label for="package-filter">Package id</label>
      <input id="package-filter" #filter />
      <button type="submit" class="secondary">Filter</button>
    </form>
    @if (loading()) {
      <p class="muted">Loading packages…</p>
    } @else if (loadError(); as message) {
      <p class="error" role="alert">{{ message }}</p>
    } @else if (packages().length === 0) {
      <p class="muted">No packages.</p>
    } @else {
      <table data-testid="packages-table">
        <thead>
          <tr>
            <th>Package id</th>
            <th>Version</th>
            <th>Format</th>
            <th>Size</th>
            <th>SHA-256</th>
            <th>Published</th>
          </tr>
        </thead>
        <tbody>
          @for (pkg of packages(); track pkg.packageId + '@' + pkg.version) {
            <tr data-testid="package-row">
              <td>{{ pkg.packageId }}</td>
              <td>{{ pkg.version }}</td>
              <td>{{ pkg.format }}</td>
              <td>{{ size(pkg.sizeBytes) }}</td>
              <td>
                <code [title]="pkg.sha256">{{ pkg.sha256.slice(0, 12) }}</code>
              </td>
              <td>{{ pkg.publishedAt | date: 'medium' }}</td>
            </tr>
          }
        </tbody>
      </table>
      <flotilla-pager [skip]="skip()" [take]="pageSize" [total]="total()" (skipChange)="goTo($event)" />
    }
  `,
})
export class PackagesPage implements OnInit {
  protected readonly session = inject(SessionService);
  protected readonly permission = Permission;
  protected readonly pageSize = PAGE_SIZE;
  protected readonly size = formatBytes;
  private readonly api = inject(PackagesApi);
  private readonly destroyRef = inject(DestroyRef);

  protected readonly packages = signal<Package[]>([]);
  protected readonly total = signal(0);
  protected readonly skip = signal(0);
  private readonly packageId = signal('');
  protected readonly loading = signal(true);
  protected readonly loadError = signal<string | null>(null);
  protected readonly selected = signal<File | null>(null);
  /** Percent sent while an upload runs; null when idle. */
  protected readonly progress = signal<number | null>(null);
  protected readonly uploadError = signal<string | null>(null);
  protected readonly uploaded = signal<Package | null>(null);

  ngOnInit(): void {
    void this.load();
  }

  protected search(packageId: string): void {
    this.packageId.set(packageId.trim());
    this.goTo(0);
  }

  protected goTo(skip: number): void {
    this.skip.set(skip);
    void this.load();
  }

  protected upload(input: HTMLInputElement): void {
    const file = this.selected();
    if (!file) return;
    this.progress.set(0);
    this.uploadError.set(null);
    this.uploaded.set(null);
    const subscription = this.api.upload(file).subscribe({
      next: (event) => {
        if (event.type === HttpEventType.UploadProgress && event.total) {
          this.progress.set(Math.round((100 * event.loaded) / event.total));
        } else if (event.type === HttpEventType.Response && event.body) {
          this.uploaded.set(event.body);
        }
      },
      error: (error: unknown) => {
        this.uploadError.set(apiErrorMessage(error));
        this.progress.set(null);
      },
      complete: () => {
        this.progress.set(null);
        this.selected.set(null);
        input.value = '';
        void this.load();
      },
    });
    this.destroyRef.onDestroy(() => subscription.unsubscribe());
  }

  private async load(): Promise<void> {
    this.loading.set(true);
    this.loadError.set(null);
    try {
      const page = await this.api.list({ packageId: this.packageId(), skip: this.skip(), take: PAGE_SIZE });
      this.packages.set(page.items);
      this.total.set(page.total);
    } catch (error: unknown) {
      this.loadError.set(apiErrorMessage(error));
    } finally {
      this.loading.set(false);
    }
  }
}
