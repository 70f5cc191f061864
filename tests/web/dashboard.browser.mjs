// The dashboard in headless Chromium (Debian's `chromium`, driven by playwright-core), as a person uses it:
// sign up with e-mail, link GitHub through the local stand-in, a signed push arrives, and the new activities (with
// carbon, range and confidence) and the changed total show on the page within 2 s, without a reload; the
// leaderboard moves when the updater runs; a second user sees none of the first user's activities, then or later.
// Run by tests/web/test_web.py, which starts the stack; writes a screenshot to $ECOTRACE_ARTIFACTS.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.ECOTRACE_BASE_URL;
const KEY = process.env.ECOTRACE_API_KEY;
const SECRET = process.env.ECOTRACE_WEBHOOK_SECRET;
const SAMPLE = JSON.parse(fs.readFileSync(process.env.ECOTRACE_SAMPLE_PUSH, 'utf8'));
const ARTIFACTS = process.env.ECOTRACE_ARTIFACTS;
const LIVE_MS = 2000;
const PASSWORD = 'correct horse battery';

/** The sample push (sender Codertocat) with fresh commit ids, made now. */
function freshPush() {
  const push = structuredClone(SAMPLE);
  const now = Date.now();
  push.commits = push.commits.map((c, i) => ({
    ...c, id: crypto.randomBytes(20).toString('hex'), timestamp: new Date(now - (push.commits.length - i) * 60000).toISOString(),
  }));
  push.head_commit = push.commits.at(-1);
  push.after = push.head_commit.id;
  return push;
}

async function sendPush(push) {
  const body = Buffer.from(JSON.stringify(push));
  const signature = 'sha256=' + crypto.createHmac('sha256', SECRET).update(body).digest('hex');
  const response = await fetch(`${BASE}/functions/github-webhook/`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': crypto.randomUUID(),
      'x-github-hook-id': '1', 'x-hub-signature-256': signature },
  });
  assert.equal(response.status, 200, await response.text());
  return push.commits.length;
}

async function runLeaderboards() {
  const response = await fetch(`${BASE}/v1/functions/leaderboard-updater/executions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-appwrite-project': 'ecotrace', 'x-appwrite-key': KEY },
    body: JSON.stringify({ body: JSON.stringify({ periods: ['daily', 'all_time'] }) }),
  });
  const execution = await response.json();
  assert.equal(execution.responseStatusCode, 200, execution.responseBody);
}

const rows = (page) => page.locator('#activities tbody tr').count();

async function signUp(page, name) {
  await page.goto(`${BASE}/`);
  await page.locator('#sign-in').waitFor({ state: 'visible' });
  await page.fill('input[name=name]', name);
  await page.fill('input[name=email]', `${name.toLowerCase()}.${Date.now()}@example.com`);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('#sign-up');
  await page.locator('#status', { hasText: `Signed in as ${name}` }).waitFor();
}

const browser = await chromium.launch({
  executablePath: process.env.ECOTRACE_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  timeout: 30000,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const problems = [];
try {
  const ada = await (await browser.newContext({ viewport: { width: 1100, height: 1400 } })).newPage();
  ada.on('pageerror', (error) => problems.push(`page error: ${error.message}`));

  // Sign up with e-mail, then link GitHub through the stand-in's authorize page.
  await signUp(ada, 'Ada');
  assert.equal(await rows(ada), 0);
  await ada.click('#link-github');
  await ada.waitForURL(/\/_github\/login\/oauth\/authorize/);
  await ada.click('button[data-login="Codertocat"]');
  await ada.locator('#status', { hasText: 'GitHub account Codertocat linked' }).waitFor({ timeout: 15000 });
  const totalBefore = await ada.textContent('#total-carbon');

  // The second user, signed in before any of Ada's activity exists.
  const bea = await (await browser.newContext()).newPage();
  bea.on('pageerror', (error) => problems.push(`page error (Bea): ${error.message}`));
  await signUp(bea, 'Bea');

  // A signed push arrives: the page shows its activities and the new total without a reload.
  const navigations = [];
  ada.on('framenavigated', (frame) => frame === ada.mainFrame() && navigations.push(frame.url()));
  const sent = Date.now();
  const count = await sendPush(freshPush());
  const answered = Date.now();
  await ada.waitForFunction((n) => document.querySelectorAll('#activities tbody tr').length >= n, count,
    { timeout: LIVE_MS });
  await ada.waitForFunction((before) => document.querySelector('#total-carbon').textContent !== before, totalBefore,
    { timeout: LIVE_MS });
  const shown = Date.now();
  assert.ok(shown - answered <= LIVE_MS, `shown ${shown - answered} ms after the webhook answered`);
  assert.deepEqual(navigations, [], 'no reload');
  assert.equal(await rows(ada), count);
  for (const selector of ['.carbon', '.range', '.confidence']) {
    const texts = await ada.locator(`#activities tbody td${selector}`).allTextContents();
    assert.equal(texts.length, count);
    assert.ok(texts.every((t) => t && t !== 'pending'), `${selector}: ${texts}`);
  }
  assert.match(await ada.textContent('#total-carbon'), /g CO2e$/);
  assert.equal(await ada.textContent('#total-activities'), String(count));
  assert.ok(await ada.locator('#chart rect[data-type="commit"]').count() >= 1, 'a bar for today\'s commits');

  // The leaderboard moves when the updater runs (every signed-in user reads it).
  await runLeaderboards();
  await ada.locator('#leaderboards [data-period="all_time"] li[data-user="gh_21031067"]').waitFor({ timeout: LIVE_MS });
  await bea.locator('#leaderboards [data-period="all_time"] li[data-user="gh_21031067"]').waitFor({ timeout: LIVE_MS });

  // Bea never sees Ada's activities: not on the page, not from the API with her session, not live.
  await sendPush(freshPush());
  await ada.waitForFunction((n) => document.querySelectorAll('#activities tbody tr').length >= n, 2 * count,
    { timeout: LIVE_MS });
  assert.equal(await rows(bea), 0);
  assert.equal(await bea.textContent('#total-activities'), '0');
  const listed = await bea.evaluate(async () => {
    const tables = new Appwrite.TablesDB(new Appwrite.Client().setEndpoint(`${location.origin}/v1`).setProject('ecotrace'));
    return (await tables.listRows({ databaseId: 'ecotrace-main', tableId: 'activities' })).total;
  });
  assert.equal(listed, 0);
  await bea.reload();
  await bea.locator('#status', { hasText: 'Signed in as Bea' }).waitFor();
  assert.equal(await rows(bea), 0);

  await ada.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
  await bea.screenshot({ path: path.join(ARTIFACTS, 'dashboard-second-user.png'), fullPage: true });
  assert.deepEqual(problems, []);
  console.log(JSON.stringify({ push_to_page_ms: shown - sent, webhook_ms: answered - sent, answer_to_page_ms: shown - answered }));
} finally {
  await browser.close();
}
