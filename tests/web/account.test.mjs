// The account routes as the official web SDK (npm `appwrite` 28) sees them on the local stack: the codes of
// Appwrite for a wrong password, a duplicate account, an expired session; sessions, JWTs, prefs, sign-out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Account, Client, ID, PROJECT, client, heldSession, newUser, rejects, useStorage } from './support.mjs';

const PASSWORD = 'correct horse battery';

test('sign-up: 201 with the account, no session; a duplicate e-mail is 409; a short password 400', async () => {
  useStorage('signup');
  const account = new Account(client());
  const email = `Grace.${Date.now()}@Example.com`;
  const created = await account.create({ userId: ID.unique(), email, password: PASSWORD, name: 'Grace' });
  assert.equal(created.email, email.toLowerCase());
  assert.equal(created.name, 'Grace');
  assert.match(created.$id, /^[0-9a-f]{20}$/);
  assert.equal(heldSession(), null);
  await rejects(() => account.get(), 401, 'general_unauthorized_scope');
  await rejects(() => account.create({ userId: ID.unique(), email, password: PASSWORD }), 409, 'user_already_exists');
  const short = await rejects(
    () => account.create({ userId: ID.unique(), email: `x${email}`, password: 'short' }), 400, 'general_argument_invalid',
  );
  assert.equal(short.message, 'Invalid `password` param: Password must be between 8 and 256 characters long.');
});

test('e-mail session: a wrong password is 401, the right one signs in through the fallback header', async () => {
  useStorage('session');
  const account = new Account(client());
  const email = `ada.${Date.now()}@example.com`;
  const created = await account.create({ userId: ID.unique(), email, password: PASSWORD });
  await rejects(() => account.createEmailPasswordSession({ email, password: 'wrong horse battery' }), 401,
    'user_invalid_credentials');
  await rejects(() => account.createEmailPasswordSession({ email: `nobody.${email}`, password: PASSWORD }), 401,
    'user_invalid_credentials');
  const session = await account.createEmailPasswordSession({ email, password: PASSWORD });
  assert.equal(session.userId, created.$id);
  assert.equal(session.provider, 'email');
  assert.equal(session.current, true);
  assert.ok(heldSession(), 'the SDK keeps the X-Fallback-Cookies credential');
  assert.equal((await account.get()).$id, created.$id);
  await rejects(() => account.createEmailPasswordSession({ email, password: PASSWORD }), 401,
    'user_session_already_exists');
  const current = await account.getSession({ sessionId: 'current' });
  assert.equal(current.$id, session.$id);
  assert.equal((await account.listSessions()).total, 1);
});

test('prefs are replaced whole; updatePrefs answers the account', async () => {
  useStorage('prefs');
  const { client: c } = await newUser('prefs');
  const account = new Account(c);
  assert.deepEqual({ ...(await account.getPrefs()) }, {}); // the SDK's JSON objects have no prototype
  const updated = await account.updatePrefs({ prefs: { units: 'g', theme: 'dark' } });
  assert.deepEqual({ ...updated.prefs }, { units: 'g', theme: 'dark' });
  await account.updatePrefs({ prefs: { theme: 'light' } });
  assert.deepEqual({ ...(await account.getPrefs()) }, { theme: 'light' });
});

test('a JWT from the session is that user, cannot mint another, and dies with the session', async () => {
  useStorage('jwt-owner');
  const { account: me, client: c } = await newUser('jwt');
  const account = new Account(c);
  const { jwt } = await account.createJWT({ duration: 60 });
  useStorage('jwt-bearer'); // a JWT and a session together would be 403 user_jwt_and_cookie_set
  const bearer = new Account(client().setJWT(jwt));
  assert.equal((await bearer.get()).$id, me.$id);
  await rejects(() => bearer.createJWT(), 403, 'user_jwt_creation_denied');
  useStorage('jwt-owner');
  await account.deleteSession({ sessionId: 'current' });
  assert.equal(window.localStorage.getItem('cookieFallback'), '[]');
  await rejects(() => account.get(), 401, 'general_unauthorized_scope');
  useStorage('jwt-bearer');
  await rejects(() => bearer.get(), 401, 'general_unauthorized_scope');
});

test('the same JWT together with the session is refused', async () => {
  useStorage('both');
  const { client: c } = await newUser('both');
  const { jwt } = await new Account(c).createJWT();
  await rejects(() => new Account(client().setJWT(jwt)).get(), 403, 'user_jwt_and_cookie_set');
});

test('an expired session is a guest: 401 general_unauthorized_scope', async () => {
  useStorage('expiry');
  const shortLived = process.env.ECOTRACE_SHORT_SESSION_ENDPOINT;
  assert.ok(shortLived, 'ECOTRACE_SHORT_SESSION_ENDPOINT names a stack whose sessions last 1 s');
  const { client: c } = await newUser('expiry', shortLived);
  const account = new Account(c);
  assert.ok((await account.get()).$id);
  await sleep(1500);
  await rejects(() => account.get(), 401, 'general_unauthorized_scope');
  await rejects(() => account.createJWT(), 401, 'general_unauthorized_scope');
});

test('an anonymous session is a user without e-mail or password', async () => {
  useStorage('anonymous');
  const account = new Account(client());
  const session = await account.createAnonymousSession();
  assert.equal(session.provider, 'anonymous');
  const me = await account.get();
  assert.equal(me.email, '');
  assert.equal(me.$id, session.userId);
  await rejects(() => account.createAnonymousSession(), 401, 'user_session_already_exists');
});

test('createOAuth2Session outside a browser gives the URL it would navigate to', () => {
  useStorage('oauth');
  const url = new URL(new Account(client()).createOAuth2Session({
    provider: 'github', success: 'http://127.0.0.1/ok', failure: 'http://127.0.0.1/fail',
  }));
  assert.equal(url.pathname, '/v1/account/sessions/oauth2/github');
  assert.equal(url.searchParams.get('project'), PROJECT);
  assert.ok(Client);
});
