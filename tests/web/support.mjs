// What the web SDK tests share: a browser-like `window` for the official `appwrite` web SDK in Node, clients
// bound to the local stack the pytest wrapper (tests/web/test_web.py) started, and the project key for set-up.
//
// The SDK keeps a session in window.localStorage.cookieFallback (from the X-Fallback-Cookies header) and sends it
// back on every call; Node's fetch keeps no cookies, so that header is how a session survives here. One window is
// shared by every client of a process: `useStorage(name)` switches to a separate store, so two users (or a session
// user and a JWT user, which must not be sent together) can act in one test.
import { Client, Account, TablesDB, Functions, Query, ID, AppwriteException } from 'appwrite';

export { Client, Account, TablesDB, Functions, Query, ID, AppwriteException };

export const ENDPOINT = required('ECOTRACE_ENDPOINT');
export const PROJECT = process.env.ECOTRACE_PROJECT ?? 'ecotrace';
export const API_KEY = required('ECOTRACE_API_KEY');
export const DATABASE = 'ecotrace-main';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through pytest (tests/web/test_web.py)`);
  return value;
}

const stores = new Map();
let current = 'default';
function store() {
  if (!stores.has(current)) stores.set(current, new Map());
  return stores.get(current);
}
globalThis.window = {
  localStorage: {
    getItem: (k) => (store().has(k) ? store().get(k) : null),
    setItem: (k, v) => store().set(k, String(v)),
    removeItem: (k) => store().delete(k),
  },
  console,
  setTimeout: (...a) => setTimeout(...a),
  clearTimeout: (t) => clearTimeout(t),
  setInterval: (...a) => setInterval(...a),
  clearInterval: (t) => clearInterval(t),
};

/** Switch the SDK's localStorage to the store called `name` (created empty on first use). */
export function useStorage(name) {
  current = name;
}

/** The session credential the SDK holds in the current store (from X-Fallback-Cookies), or null. */
export function heldSession() {
  const raw = window.localStorage.getItem('cookieFallback');
  if (!raw) return null;
  const parsed = JSON.parse(raw);
  return Array.isArray(parsed) ? null : parsed[`a_session_${PROJECT}`] ?? null;
}

export function client(endpoint = ENDPOINT) {
  return new Client().setEndpoint(endpoint).setProject(PROJECT);
}

/** Sign up and sign in a new e-mail user in the current store; returns {account, session, client}. */
export async function newUser(name, endpoint = ENDPOINT) {
  const c = client(endpoint);
  const account = new Account(c);
  const email = `${name}.${Date.now()}.${Math.floor(Math.random() * 1e6)}@example.com`;
  const created = await account.create({ userId: ID.unique(), email, password: 'correct horse battery', name });
  const session = await account.createEmailPasswordSession({ email, password: 'correct horse battery' });
  return { account: created, session, client: c, email };
}

/** A REST call with the project key (test set-up only, as a server would). */
export async function asKey(method, path, body) {
  const response = await fetch(`${ENDPOINT}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-appwrite-project': PROJECT, 'x-appwrite-key': API_KEY },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** `fn()` must throw an AppwriteException with this HTTP code and type. */
export async function rejects(fn, code, type) {
  try {
    await fn();
  } catch (error) {
    if (!(error instanceof AppwriteException)) throw error;
    if (error.code !== code || error.type !== type) {
      throw new Error(`expected ${code} ${type}, got ${error.code} ${error.type}: ${error.message}`);
    }
    return error;
  }
  throw new Error(`expected ${code} ${type}, but the call succeeded`);
}
