import { X509Certificate } from 'node:crypto';
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { checkConfig, encodeKey, readJsonFile, readKeyFile, toEmodistillError, type KeyPair } from '@emodistill/core';
import type { CommandContext } from './context.js';
import { EXIT_CODES } from './exit-codes.js';
import { printResult, type JsonFlags } from './output.js';

/**
 * What `coordinator check` and `site check` share: the report they print, and checks of the things a
 * config names (a key file, TLS files, a data folder, a port) that report a problem instead of throwing,
 * so that one run lists every problem at once.
 */

/** The outcome of checking one config file. */
export interface CheckReport {
  readonly config: string;
  /** True when `problems` is empty. */
  readonly ok: boolean;
  /** What would stop the process or a round; each names the field (or file) at fault. */
  readonly problems: readonly string[];
  /** What is allowed but worth knowing (e.g. a quorum no allowed site list can reach yet). */
  readonly notes: readonly string[];
  /** What was verified and found fine. */
  readonly passed: readonly string[];
}

/** Collects a check's findings in the order they are made. */
export interface CheckFindings {
  readonly problems: string[];
  readonly notes: string[];
  readonly passed: string[];
}

export function newFindings(): CheckFindings {
  return { problems: [], notes: [], passed: [] };
}

/**
 * A config file read for a check: its schema problems recorded (or its pass), and whatever fields
 * it has, so that the checks of the valid ones still run. Paths in it are relative to `baseDir`.
 */
export async function readConfigForCheck(
  findings: CheckFindings,
  schema: TSchema,
  path: string,
  what: string,
): Promise<{ fields: Record<string, unknown>; baseDir: string }> {
  const { filled, errors } = checkConfig(schema, await readJsonFile(path, what));
  findings.problems.push(...errors);
  if (errors.length === 0) findings.passed.push('schema: every field is valid');
  return {
    fields: (typeof filled === 'object' && filled !== null ? filled : {}) as Record<string, unknown>,
    baseDir: dirname(resolve(path)),
  };
}

export function reportOf(config: string, findings: CheckFindings): CheckReport {
  return { config, ok: findings.problems.length === 0, ...findings };
}

function describeReport(report: CheckReport): string {
  const count = report.problems.length;
  const list = (title: string, lines: readonly string[]): string[] =>
    lines.length > 0 ? [title, ...lines.map((line) => `  - ${line}`)] : [];
  return [
    `${report.config}: ${report.ok ? 'ok' : `${count} problem${count === 1 ? '' : 's'}`}`,
    ...list('problems:', report.problems),
    ...list('notes:', report.notes),
    ...list('passed:', report.passed),
  ].join('\n');
}

/** Prints a report (text, or JSON with --json) and exits 1 when it lists problems. */
export function printCheckReport(context: CommandContext, flags: JsonFlags, report: CheckReport): void {
  printResult(context, flags, report, describeReport);
  if (!report.ok) context.setExitCode(EXIT_CODES.failure);
}

/**
 * `value` when it matches `schema`, else undefined: lets a check use the fields of a config that are
 * fine while others are not (the schema errors are reported separately).
 */
export function validField<S extends TSchema>(schema: S, value: unknown): Static<S> | undefined {
  return Value.Check(schema, value) ? (value as Static<S>) : undefined;
}

/** The message of anything thrown, normalised once. */
export const messageOf = (error: unknown): string => toEmodistillError(error).message;

/**
 * Checks a key file named by `field`: readable, an Ed25519 key pair, and readable by its owner only.
 * @returns the key pair when it can be used
 */
export async function checkKeyFile(findings: CheckFindings, field: string, path: string): Promise<KeyPair | undefined> {
  const keys = await readKeyFile(path).catch((error: unknown) => {
    findings.problems.push(`${field}: ${messageOf(error)}`);
    return undefined;
  });
  if (!keys) return undefined;
  const mode = (await stat(path)).mode & 0o777;
  if ((mode & 0o077) !== 0)
    findings.problems.push(
      `${field}: ${path} holds a secret key but other users may read it (mode ${mode.toString(8)}); run chmod 600 ${path}`,
    );
  else
    findings.passed.push(
      `${field}: ${path} is an Ed25519 key pair (public key ${encodeKey(keys.publicKey)}), mode 600`,
    );
  return keys;
}

/** Checks a PEM certificate and key: readable, a matching pair, and within the certificate's validity. */
export async function checkTlsFiles(
  findings: CheckFindings,
  field: string,
  files: { readonly certFile: string; readonly keyFile: string },
): Promise<void> {
  const read = (path: string, which: string): Promise<Buffer | undefined> =>
    readFile(path).catch((error: Error) => {
      findings.problems.push(`${field}.${which}: cannot read ${path}: ${error.message}`);
      return undefined;
    });
  const [cert, key] = await Promise.all([read(files.certFile, 'certFile'), read(files.keyFile, 'keyFile')]);
  if (!cert || !key) return;
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    findings.problems.push(
      `${field}: ${files.certFile} and ${files.keyFile} are not a usable PEM certificate and private key pair: ${(error as Error).message}`,
    );
    return;
  }
  const certificate = new X509Certificate(cert);
  const expires = new Date(certificate.validTo);
  if (expires.getTime() < Date.now())
    findings.problems.push(`${field}.certFile: the certificate ${files.certFile} expired on ${expires.toISOString()}`);
  else
    findings.passed.push(
      `${field}: certificate for ${certificate.subject.replace(/\n/g, ', ')} and its key match; valid until ${expires.toISOString()}`,
    );
}

/** Checks that a folder can be created or written: it is a writable folder, or its nearest existing parent is. */
export async function checkWritableFolder(findings: CheckFindings, field: string, folder: string): Promise<void> {
  for (let dir = folder; ; dir = dirname(dir)) {
    const info = await stat(dir).catch(() => undefined);
    if (info) {
      const writable = await access(dir, constants.W_OK).then(
        () => true,
        () => false,
      );
      if (!info.isDirectory()) findings.problems.push(`${field}: ${dir} is not a folder`);
      else if (!writable) findings.problems.push(`${field}: ${dir} is not writable`);
      else findings.passed.push(`${field}: ${folder} ${dir === folder ? 'is writable' : 'can be created'}`);
      return;
    }
    if (dirname(dir) === dir) return;
  }
}

/** Why nothing can listen on host:port, in the operator's terms. */
function listenFailure(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return 'another process listens there (a coordinator already running?): stop it or choose another port';
    case 'EACCES':
      return 'this user may not listen there (ports below 1024 need privileges): choose a port ≥ 1024';
    case 'EADDRNOTAVAIL':
      return 'the host is not an address of this machine: use 0.0.0.0, 127.0.0.1 or one of its interface addresses';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    default:
      return error.message;
  }
}

/** Binds host:port and releases it at once: a problem when the coordinator could not listen there. */
export async function checkPortFree(findings: CheckFindings, field: string, host: string, port: number): Promise<void> {
  if (port === 0) {
    findings.notes.push(
      `${field}.port is 0: the coordinator picks a free port when it starts, so sites cannot be told it in advance`,
    );
    return;
  }
  const server = createServer();
  const failure = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    server.once('error', resolve);
    server.listen({ host, port, exclusive: true }, () => resolve(undefined));
  });
  if (failure) {
    findings.problems.push(`${field}: cannot listen on ${host}:${port}: ${listenFailure(failure)}`);
    return;
  }
  await new Promise((resolve) => server.close(resolve));
  findings.passed.push(`${field}: ${host}:${port} is free`);
}
