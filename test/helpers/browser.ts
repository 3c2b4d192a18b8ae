// Drives Debian's Chromium with playwright-core for the web pages' tests. No browser is downloaded:
// the executable is the system's (GLASSBOX_CHROMIUM overrides it). Screenshots go to
// test-artifacts/screenshots so CI keeps a picture of every page a test looked at.
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser']

export const SCREENSHOT_DIR = join(process.cwd(), 'test-artifacts', 'screenshots')

export function chromiumPath(): string {
  const fromEnv = process.env.GLASSBOX_CHROMIUM
  if (fromEnv) return fromEnv
  const found = CANDIDATES.find((path) => existsSync(path))
  if (!found) {
    throw new Error(`no Chromium found at ${CANDIDATES.join(' or ')}: install Debian's chromium package or set GLASSBOX_CHROMIUM`)
  }
  return found
}

export interface BrowserSession {
  browser: Browser
  page: Page
  close(): Promise<void>
}

// The flags keep Chromium from reaching for the network at start (the CI machine has none) and let
// it run as root in a container. Playwright gives each launch a fresh, temporary profile.
export async function openBrowser(): Promise<BrowserSession> {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'
    ]
  })
  const page = await browser.newPage()
  return {
    browser,
    page,
    async close() {
      await browser.close()
    }
  }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  const path = join(SCREENSHOT_DIR, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}
