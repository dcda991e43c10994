/**
 * Debian's Chromium driven by playwright-core (no downloaded browsers). `.ci/run` installs it; a
 * machine without it fails the browser tests with a message saying how to install it.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const EXECUTABLE = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // The tests click Speak (a user gesture), so autoplay is allowed anyway; this keeps a
  // programmatic play() from being refused on a slow machine where the gesture could expire.
  '--autoplay-policy=no-user-gesture-required',
];

/**
 * Launches headless Chromium.
 * @throws when Chromium is not installed, saying how to install it.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(EXECUTABLE)) {
    throw new Error(
      `The browser tests need Chromium at ${EXECUTABLE}, which is missing. Install it with ` +
        '"apt-get update && apt-get install -y chromium" (.ci/run does this), or set CHROMIUM_PATH.',
    );
  }
  return chromium.launch({ executablePath: EXECUTABLE, args: ARGS, timeout: 60_000 });
}
