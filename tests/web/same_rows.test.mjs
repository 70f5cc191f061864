// A session user and the same user with a JWT minted from that session read exactly the same rows, over REST and
// over realtime, through the official web SDK; another user reads other rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Account, DATABASE, Query, TablesDB, asKey, client, heldSession, newUser, useStorage } from './support.mjs';

const NOW = new Date().toISOString();

const put = (table, id, body) => asKey('PUT', `/tablesdb/${DATABASE}/tables/${table}/rows/${id}`, body);

function statsRow(id, owner, carbon) {
  return { data: { user_id: id, github_login: id, carbon_kg: carbon, activity_count: 1 },
    permissions: [`read("user:${owner}")`] };
}

async function seed(me, other) {
  await put('user_stats', 'gh_9001', statsRow('gh_9001', me, 0.5));
  await put('user_stats', 'gh_9002', statsRow('gh_9002', other, 0.7));
  await put('activities', 'act-9001', {
    permissions: [`read("user:${me}")`],
    data: { user_id: 'gh_9001', github_login: 'me', type: 'commit', repo_id: '1', repo_full_name: 'me/repo',
      external_id: 'sha-9001', source_event: 'push', timestamp: NOW, carbon_kg: 0.5 },
  });
  await put('leaderboards', 'daily_test_gh_9001', {
    data: { user_id: 'gh_9001', github_login: 'me', period_type: 'daily', period_key: 'test', period_start: NOW,
      rank: 1, carbon_kg: 0.5, updated_at: NOW },
  });
}

async function readAll(c) {
  const tables = new TablesDB(c);
  const out = {};
  for (const table of ['users', 'activities', 'calculations', 'user_stats', 'leaderboards']) {
    const listed = await tables.listRows({ databaseId: DATABASE, tableId: table, queries: [Query.orderAsc('$id')] });
    out[table] = listed.rows.map(({ $sequence, ...row }) => row);
  }
  return out;
}

test('REST and realtime: the session user and its JWT see the same rows; another user does not', async () => {
  useStorage('me');
  const me = await newUser('same-rows');
  const credential = heldSession();
  const { jwt } = await new Account(me.client).createJWT({ duration: 600 });
  useStorage('other');
  const other = await newUser('other-rows');
  await seed(me.account.$id, other.account.$id);

  useStorage('me');
  const bySession = await readAll(me.client);
  useStorage('bearer');
  const byJwt = await readAll(client().setJWT(jwt));
  assert.deepEqual(byJwt, bySession);
  assert.deepEqual(bySession.user_stats.map((r) => r.$id), ['gh_9001']);
  assert.deepEqual(bySession.activities.map((r) => r.$id), ['act-9001']);
  assert.deepEqual(bySession.leaderboards.map((r) => r.$id), ['daily_test_gh_9001']);
  useStorage('other');
  const byOther = await readAll(other.client);
  assert.deepEqual(byOther.user_stats.map((r) => r.$id), ['gh_9002']);
  assert.deepEqual(byOther.activities, []);

  // Realtime: the SDK authenticates the session with the `authentication` message, the JWT in the URL.
  useStorage('realtime');
  const channel = `databases.${DATABASE}.tables.user_stats.rows`;
  const seen = { session: [], jwt: [] };
  const sessionClient = client().setSession(credential);
  const jwtClient = client().setJWT(jwt);
  const stops = [
    sessionClient.subscribe(channel, (event) => seen.session.push(`${event.payload.$id}:${event.payload.carbon_kg}`)),
    jwtClient.subscribe(channel, (event) => seen.jwt.push(`${event.payload.$id}:${event.payload.carbon_kg}`)),
  ];
  await sleep(700); // both sockets connected, authenticated and subscribed
  for (const [id, carbon] of [['gh_9002', 0.9], ['gh_9001', 0.6], ['gh_9002', 1.1], ['gh_9001', 0.8]]) {
    await asKey('PATCH', `/tablesdb/${DATABASE}/tables/user_stats/rows/${id}`, { data: { carbon_kg: carbon } });
  }
  const deadline = Date.now() + 5000;
  while ((seen.session.length < 2 || seen.jwt.length < 2) && Date.now() < deadline) await sleep(50);
  await sleep(200); // anything else that would arrive
  stops.forEach((stop) => stop());
  await sleep(100); // the SDK closes the socket once its last subscription is gone, but keeps its ping timer
  for (const c of [sessionClient, jwtClient]) clearInterval(c.realtime.heartbeat);
  assert.deepEqual(seen.session, ['gh_9001:0.6', 'gh_9001:0.8']);
  assert.deepEqual(seen.jwt, seen.session);
});
