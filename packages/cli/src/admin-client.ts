import { Option, type Command } from 'commander';

/** The admin commands' --url and --admin-key (what `adminRequest` from @emodistill/harness takes). */
export interface AdminFlags {
  url: string;
  adminKey: string;
}

/** --url and --admin-key, with environment fallbacks so an operator need not repeat them. */
export function addAdminOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--url <url>', 'coordinator base URL')
        .env('EMODISTILL_COORDINATOR_URL')
        .default('http://127.0.0.1:8470'),
    )
    .addOption(
      new Option('--admin-key <file>', "operator key file (its public key is in the coordinator's adminPublicKeys)")
        .env('EMODISTILL_ADMIN_KEY')
        .makeOptionMandatory(),
    );
}
