// EcoTrace's live dashboard: the reference for the real frontend, on the official Appwrite web SDK (the global
// `Appwrite` from its browser bundle). docs/frontend.md explains every call made here.
import { drawChart } from './chart.js';

const { Client, Account, TablesDB, Functions, Query, ID } = Appwrite;

const PROJECT = 'ecotrace';
const DATABASE = 'ecotrace-main';
const channel = (table) => `databases.${DATABASE}.tables.${table}.rows`;
const LIVE_TABLES = ['activities', 'user_stats', 'leaderboards'];
const PERIODS = ['daily', 'weekly', 'monthly', 'all_time'];

const client = new Client().setEndpoint(`${location.origin}/v1`).setProject(PROJECT);
const account = new Account(client);
const tables = new TablesDB(client);
const functions = new Functions(client);

const state = { me: null, github: false, activities: new Map(), stats: new Map(), boards: new Map(), fresh: new Set(), stop: null };
const $ = (selector) => document.querySelector(selector);

function setStatus(text, kind = 'ok') {
  $('#status').textContent = text;
  $('#status').dataset.state = kind;
}

const grams = (kg) => (typeof kg === 'number' ? `${(kg * 1000).toPrecision(3)} g` : 'pending');

// ---- signing in ------------------------------------------------------------------------------------------------

async function signUp(form) {
  const email = form.get('email');
  const password = form.get('password');
  await account.create({ userId: ID.unique(), email, password, name: form.get('name') || undefined });
  await account.createEmailPasswordSession({ email, password });
}

async function signIn(form) {
  await account.createEmailPasswordSession({ email: form.get('email'), password: form.get('password') });
}

function signInWithGitHub() {
  // A navigation: GitHub (locally, the stack's stand-in) asks who you are and comes back here. When someone is
  // already signed in, Appwrite links the GitHub identity to their account instead of creating a new one.
  account.createOAuth2Session({
    provider: 'github',
    success: `${location.origin}/?github=linked`,
    failure: `${location.origin}/?github=failed`,
  });
}

async function signOut() {
  await account.deleteSession({ sessionId: 'current' });
  stopLive();
  state.me = null;
  render();
}

// After "Sign in with GitHub" the session carries the GitHub token; the api-integrations function asks GitHub
// whose token it is and links that GitHub account's activity to this Appwrite account.
async function linkGitHub() {
  const session = await account.getSession({ sessionId: 'current' });
  if (session.provider !== 'github' || !session.providerAccessToken) return null;
  const execution = await functions.createExecution({
    functionId: 'api-integrations',
    body: JSON.stringify({ action: 'link_github_account', github_token: session.providerAccessToken }),
  });
  const answer = JSON.parse(execution.responseBody || '{}');
  if (!answer.ok) throw new Error(answer.message || `linking failed (${execution.responseStatusCode})`);
  return answer;
}

// ---- data and realtime -----------------------------------------------------------------------------------------

async function load() {
  const [activities, stats, boards] = await Promise.all([
    tables.listRows({ databaseId: DATABASE, tableId: 'activities', queries: [Query.orderDesc('timestamp'), Query.limit(200)] }),
    tables.listRows({ databaseId: DATABASE, tableId: 'user_stats', queries: [Query.limit(10)] }),
    tables.listRows({ databaseId: DATABASE, tableId: 'leaderboards', queries: [Query.orderDesc('period_start'), Query.limit(500)] }),
  ]);
  state.activities = new Map(activities.rows.map((r) => [r.$id, r]));
  state.stats = new Map(stats.rows.map((r) => [r.$id, r]));
  state.boards = new Map(boards.rows.map((r) => [r.$id, r]));
}

function onEvent(event) {
  const table = LIVE_TABLES.find((t) => event.channels.includes(channel(t)));
  const target = { activities: state.activities, user_stats: state.stats, leaderboards: state.boards }[table];
  if (!target) return;
  const row = event.payload;
  if (event.events.some((name) => name.endsWith('.delete'))) target.delete(row.$id);
  else target.set(row.$id, row);
  if (table === 'activities') state.fresh.add(row.$id);
  render();
}

function startLive() {
  stopLive();
  // One subscription for the three tables; each row event reaches only those whose roles may read the row.
  state.stop = client.subscribe(LIVE_TABLES.map(channel), onEvent);
}

function stopLive() {
  if (state.stop) state.stop();
  state.stop = null;
}

// ---- rendering -------------------------------------------------------------------------------------------------

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function renderActivities(rows) {
  const body = $('#activities tbody');
  body.replaceChildren(...rows.map((a) => {
    const tr = document.createElement('tr');
    tr.dataset.id = a.$id;
    if (state.fresh.has(a.$id)) tr.className = 'fresh';
    const range = typeof a.carbon_kg_low === 'number' ? `${grams(a.carbon_kg_low)} – ${grams(a.carbon_kg_high)}` : '';
    tr.append(
      cell(a.timestamp.slice(0, 16).replace('T', ' ')), cell(a.type), cell(a.repo_full_name),
      cell(a.title || a.external_id.slice(0, 12)), cell(grams(a.carbon_kg), 'num carbon'), cell(range, 'num range'),
      cell(a.calculation_confidence || '', 'confidence'),
    );
    return tr;
  }));
  state.fresh.clear();
  $('#no-activities').hidden = rows.length > 0;
}

function renderTotals() {
  const stats = [...state.stats.values()];
  const sum = (key) => stats.reduce((s, r) => s + (r[key] || 0), 0);
  $('#total-carbon').textContent = stats.length ? `${(sum('carbon_kg') * 1000).toPrecision(3)} g CO2e` : '–';
  $('#total-activities').textContent = String(sum('activity_count'));
  $('#total-breakdown').textContent =
    `${sum('commit_count')} commits, ${sum('pr_count')} PRs, ${sum('ci_run_count')} CI runs, ${sum('deployment_count')} deployments`;
  $('#github-link').textContent = stats.length ? stats.map((r) => r.github_login).join(', ') : 'not linked';
}

function renderLeaderboards() {
  const byPeriod = new Map();
  for (const row of state.boards.values()) {
    const newest = byPeriod.get(row.period_type);
    if (!newest || row.period_key > newest.key) byPeriod.set(row.period_type, { key: row.period_key, rows: [] });
  }
  for (const row of state.boards.values()) {
    const period = byPeriod.get(row.period_type);
    if (period.key === row.period_key) period.rows.push(row);
  }
  const mine = new Set([...state.stats.keys()]);
  $('#leaderboards').replaceChildren(...PERIODS.filter((p) => byPeriod.has(p)).map((p) => {
    const { key, rows } = byPeriod.get(p);
    const box = document.createElement('div');
    box.dataset.period = p;
    const title = document.createElement('h3');
    title.textContent = `${p.replace('_', '-')} ${key === 'all' ? '' : key}`;
    const list = document.createElement('ol');
    for (const r of rows.sort((a, b) => a.rank - b.rank).slice(0, 10)) {
      const li = document.createElement('li');
      li.dataset.user = r.user_id;
      li.textContent = `${r.github_login}: ${grams(r.carbon_per_activity_kg)} per activity (${r.activity_count})`;
      if (mine.has(r.user_id)) li.style.fontWeight = '600';
      list.append(li);
    }
    box.append(title, list);
    return box;
  }));
}

function render() {
  const signedIn = Boolean(state.me);
  $('#sign-in').hidden = signedIn;
  $('#board').hidden = !signedIn;
  $('#session').hidden = !signedIn;
  $('#link-github').hidden = state.github;
  if (!signedIn) {
    setStatus('Signed out');
    return;
  }
  setStatus(`Signed in as ${state.me.name || state.me.email || state.me.$id}`);
  const activities = [...state.activities.values()].sort((a, b) => (a.timestamp < b.timestamp ? 1 : -1));
  renderActivities(activities);
  renderTotals();
  renderLeaderboards();
  drawChart($('#chart'), activities);
}

// ---- start -----------------------------------------------------------------------------------------------------

async function afterSignIn() {
  state.me = await account.get();
  const identities = await account.listIdentities();
  state.github = identities.identities.some((identity) => identity.provider === 'github');
  await load();
  render();
  startLive();
}

async function guarded(work) {
  try {
    await work();
  } catch (error) {
    setStatus(error.message || String(error), 'error');
  }
}

async function start() {
  const params = new URLSearchParams(location.search);
  history.replaceState(null, '', location.pathname);
  try {
    state.me = await account.get();
  } catch {
    state.me = null;
  }
  if (params.get('github') === 'failed') {
    const error = JSON.parse(params.get('error') || '{}');
    render();
    setStatus(`GitHub sign-in failed: ${error.message || 'unknown error'}`, 'error');
    return;
  }
  if (!state.me) {
    render();
    return;
  }
  await guarded(async () => {
    const linked = params.get('github') === 'linked' ? await linkGitHub() : null;
    await afterSignIn();
    if (linked) setStatus(`Signed in as ${state.me.name || state.me.email}; GitHub account ${linked.github_login} linked`);
  });
}

$('#email-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const action = event.submitter?.value === 'sign-up' ? signUp : signIn;
  guarded(async () => {
    await action(form);
    await afterSignIn();
  });
});
$('#sign-in-github').addEventListener('click', signInWithGitHub);
$('#link-github').addEventListener('click', signInWithGitHub);
$('#sign-out').addEventListener('click', () => guarded(signOut));
start();
