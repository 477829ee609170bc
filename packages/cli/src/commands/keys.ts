import { Command } from 'commander';
import { encodeKey, generateKeyPair, writeKeyFile } from '@emodistill/core';
import { checkOutputPaths } from '../checks.js';
import type { CommandContext } from '../context.js';

export function keysCommand(context: () => CommandContext): Command {
  const keys = new Command('keys').description('Ed25519 identities of sites, coordinators and operators');
  keys
    .command('generate')
    .description('write a new key pair (mode 0600) and print its public key for allow-lists and configs')
    .requiredOption('--out <path>', 'key file to create (never overwritten)')
    .action(async (flags: { out: string }) => {
      await checkOutputPaths([{ option: '--out', path: flags.out }]);
      const pair = generateKeyPair();
      await writeKeyFile(flags.out, pair);
      context().print(encodeKey(pair.publicKey));
    });
  return keys;
}
