// Signs in on the demo site in headless Chromium, as a person would: open the site, type an
// identity of the built-in provider, press "Sign in", and land on the result page. Checks
// the claimed identifier shown and saves a screenshot.
//
//   node login.mjs SITE_URL IDENTITY SCREENSHOT.png
import { chromium } from "playwright-core";

const [site, identity, screenshot] = process.argv.slice(2);
if (!site || !identity || !screenshot) {
  console.error("usage: node login.mjs SITE_URL IDENTITY SCREENSHOT.png");
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // Root in a container has no sandbox; the rest keeps Chromium off the (closed) network.
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
let status = 1;
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(30_000);
  await page.goto(site);
  await page.fill("#identifier", identity);
  await Promise.all([page.waitForURL(/\/return/), page.click("#sign-in")]);
  const claimed = (await page.textContent("#claimed-id"))?.trim();
  await page.screenshot({ path: screenshot, fullPage: true });
  if (claimed === identity) {
    console.log(`signed in as ${claimed} (screenshot: ${screenshot})`);
    status = 0;
  } else {
    const body = await page.textContent("body");
    console.error(`expected to be signed in as ${identity}, the page says: ${body}`);
  }
} catch (error) {
  console.error(`browser test failed: ${error}`);
} finally {
  await browser.close();
}
process.exit(status);
