/**
 * Headless Chromium for the dashboard tests (playwright-core drives the Debian package; nothing is
 * downloaded). If it cannot start, the tests fail and say why: they never pass without a browser.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const OUTPUT_DIR = join(__dirname, '..', 'output');

export async function launchChromium(path = CHROMIUM): Promise<Browser> {
  if (!existsSync(path)) {
    throw new Error(`Chromium not found at ${path}: install it (apt-get install -y chromium) or set CHROMIUM_PATH. ` +
      'The dashboard tests need a real browser and do not pass without one.');
  }
  try {
    return await chromium.launch({ executablePath: path, headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  } catch (e) {
    throw new Error(`Chromium at ${path} could not be launched: ${(e as Error).message}`);
  }
}

export function outputPath(file: string): string {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return join(OUTPUT_DIR, file);
}
