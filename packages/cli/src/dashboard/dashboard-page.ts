import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** The dashboard's one page: HTML with its style and script inline, and the policy that allows only them. */
export interface DashboardPage {
  readonly html: string;
  /** Content-Security-Policy: no other script, style, frame, form or origin than the page's own. */
  readonly contentSecurityPolicy: string;
}

/** The page's files (packages/cli/assets/dashboard), the same relative path from src/ and dist/. */
const ASSETS = new URL('../../assets/dashboard/', import.meta.url);

const cspHash = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Reads the page template, its stylesheet and its script, and inlines the two (no external URL
 * anywhere: it works offline and loads nothing from a CDN). The CSP names them by hash.
 */
export async function loadDashboardPage(): Promise<DashboardPage> {
  const [template, style, script] = await Promise.all(
    ['dashboard.html', 'dashboard.css', 'dashboard.js'].map((name) => readFile(new URL(name, ASSETS), 'utf8')),
  );
  const html = template!
    .replace('<style></style>', () => `<style>${style!}</style>`)
    .replace('<script></script>', () => `<script>${script!}</script>`);
  return {
    html,
    contentSecurityPolicy: [
      "default-src 'none'",
      `script-src ${cspHash(script!)}`,
      `style-src ${cspHash(style!)}`,
      "connect-src 'self'",
      // the page's icon is an empty data: URL (no request for /favicon.ico, which would need the token)
      'img-src data:',
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  };
}
