/**
 * The browser tests' setup: Debian's chromium driven by playwright-core (no browser download),
 * the console built as `npm run build` builds it, and what every page must not do (CSP
 * violations, script errors) collected to be checked.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.TIXING_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = path.resolve(__dirname, '..', '..');
export const SCREENSHOTS = process.env.TIXING_SCREENSHOTS === '1' ? path.join(ROOT, 'docs', 'console') : null;

/**
 * Whether the browser tests run here: always in CI (a missing chromium fails there: .ci/run
 * installs it), and locally only where chromium is installed (else they are skipped, saying why).
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') {
    throw new Error(`${CHROMIUM} is missing in CI: .ci/run installs it with apt-get install chromium`);
  }
  process.stderr.write(
    `test/console: skipping the browser tests: ${CHROMIUM} is missing (apt-get install -y chromium)\n`,
  );
  return false;
}

/** Builds the console into dist/console, where the instance serves it from. */
export function buildConsole(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'console', 'build.mjs')], {
    cwd: ROOT,
    stdio: 'pipe',
    timeout: 60_000,
  });
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in CI: chromium's sandbox needs user namespaces a container may not give.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

/** What went wrong in the pages of a context: CSP violations and uncaught errors. */
export interface Troubles {
  csp: string[];
  errors: string[];
}

/** A fresh browser profile (its own cookies), watching its pages for CSP violations and errors. */
export async function context(
  browser: Browser,
  viewport = { width: 1280, height: 860 },
): Promise<{ context: BrowserContext; page: Page; troubles: Troubles }> {
  const ctx = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const troubles: Troubles = { csp: [], errors: [] };
  await ctx.exposeBinding('__reportCsp', (_source, directive: string, blocked: string) => {
    troubles.csp.push(`${directive} ${blocked}`);
  });
  // Runs in each page before its scripts (the browser's globals, hence a string here).
  await ctx.addInitScript({
    content:
      "document.addEventListener('securitypolicyviolation', (e) => window.__reportCsp(e.violatedDirective, e.blockedURI));",
  });
  const page = await ctx.newPage();
  page.on('pageerror', (err) => troubles.errors.push(err.message));
  return { context: ctx, page, troubles };
}

/** Writes `docs/console/<name>.png` when TIXING_SCREENSHOTS=1 (`npm run console:screenshots`). */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage, animations: 'disabled' });
}
