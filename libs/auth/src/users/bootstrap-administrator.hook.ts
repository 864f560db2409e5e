import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';

import { BootstrapAdministrator } from './bootstrap-administrator';

/** Runs the bootstrap when the service starts, and prints a generated password exactly once. */
@Injectable()
export class BootstrapAdministratorOnStart implements OnApplicationBootstrap {
  private readonly logger = new Logger('BootstrapAdministrator');

  constructor(@Inject(BootstrapAdministrator) private readonly bootstrap: BootstrapAdministrator) {}

  async onApplicationBootstrap(): Promise<void> {
    const outcome = await this.bootstrap.ensure();
    if (!outcome.created) return;
    if (outcome.generatedPassword === undefined) {
      // Never log a configured password.
      this.logger.log(
        `Bootstrap administrator created — username: ${outcome.username}, password from FLOTILLA_ADMIN_PASSWORD`,
      );
      return;
    }
    this.logger.warn(
      `Bootstrap administrator created — username: ${outcome.username}, password: ${outcome.generatedPassword} ` +
        '(shown only this once; sign in and store it safely)',
    );
  }
}
