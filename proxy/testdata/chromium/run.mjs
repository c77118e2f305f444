// Drives page.html in headless Chromium with playwright-core and records the HAR.
// usage: node run.mjs PLAYWRIGHT_CORE_DIR CHROMIUM PAGE_URL HAR_PATH
// Prints {"result": …} or {"failure": "…"} on standard output.
import { createRequire } from "node:module";

const [, , pwDir, chromiumPath, pageURL, harPath] = process.argv;
const require = createRequire(pwDir + "/package.json");
const { chromium } = require(pwDir);

const browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
let out;
try {
  const context = await browser.newContext({ recordHar: { path: harPath, content: "embed" } });
  const page = await context.newPage();
  page.on("console", m => { if (m.type() === "error") console.error("page:", m.text()); });
  await page.goto(pageURL);
  const handle = await page.waitForFunction(() => window.result || (window.failure && { failure: window.failure }), null, { timeout: 30000 });
  const value = await handle.jsonValue();
  out = value.failure ? { failure: value.failure } : { result: value };
  await context.close(); // writes the HAR
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
