/**
 * Headless Chromium for the suites that render a page (Debian's `chromium`, which .ci/run
 * installs): one set of launch flags (no sandbox, GPU, network chatter or background updates)
 * and the folder the screenshots go to.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { REPO_ROOT } from './repo';

export const CHROMIUM = '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);
/** Screenshots, kept by CI as evidence of what the pages showed. */
export const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
