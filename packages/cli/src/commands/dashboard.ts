import { Command, Option } from 'commander';
import { readKeyFile } from '@emodistill/core';
import { addAdminOptions, type AdminFlags } from '../admin-client.js';
import type { CommandContext } from '../context.js';
import { loadDashboardPage } from '../dashboard/dashboard-page.js';
import { DASHBOARD_HOST, startDashboardServer } from '../dashboard/dashboard-server.js';
import { takeFederationSnapshot } from '../dashboard/federation-snapshot.js';
import { untilSignal } from './federation.js';
import { portParser } from '../options.js';

export function dashboardCommand(context: () => CommandContext): Command {
  return addAdminOptions(
    new Command('dashboard')
      .description(
        `watch a running federation live in a browser: rounds, sites, drift, losses, versions and the release gate. A read-only page on ${DASHBOARD_HOST} only, at the printed URL with a random token; this process makes the admin-signed requests (the admin key never reaches the browser). Stops on Ctrl-C`,
      )
      .addOption(
        new Option('--port <port>', `port on ${DASHBOARD_HOST} (0: any free one)`)
          .argParser(portParser(true))
          .default(0),
      ),
  ).action(async (flags: AdminFlags & { port: number }) => {
    const { log, print, notice } = context();
    // An unreadable key fails here, not at the first page load.
    await readKeyFile(flags.adminKey);
    const endpoint = { url: flags.url, adminKey: flags.adminKey };
    const server = await startDashboardServer({
      port: flags.port,
      page: await loadDashboardPage(),
      snapshot: () => takeFederationSnapshot(endpoint),
      log,
    });
    print(server.url);
    notice(
      `dashboard of ${flags.url} at the URL above (read-only; its token is the only key to it: do not share it). Ctrl-C stops it`,
    );
    await untilSignal();
    await server.close();
  });
}
