"""The keys and tokens that identify callers, signed with the stack's secret (Appwrite 1.9.6 shapes).

- the project API key: full access;
- an execution key ``ephemeral_<HS256 JWT {projectId, scopes, exp}>``, minted for each function execution
  (``x-appwrite-key``) and revoked when its execution runs past its timeout;
- a user JWT ``{userId, sessionId, exp}`` (``Users.create_jwt``).

The signing secret is ``ECOTRACE_LOCAL_JWT_SECRET`` when set, else a random one made once per database and kept
beside its SQLite file (:func:`signing_secret`): no value printed in the source signs anything.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import jwt

from ..errors import AppwriteError, user_unauthorized
from .access import PROJECT_KEY, Caller

EPHEMERAL_PREFIX = "ephemeral_"
SECRET_SUFFIX = ".jwt-secret"  # beside the SQLite file: local.sqlite3 -> local.sqlite3.jwt-secret
SECRET_BYTES = 32
MIN_SECRET_CHARS = 32


def signing_secret(db_path: Path, configured: str | None) -> str:
    """The secret that signs this stack's tokens: ``configured`` when set; for an in-memory database a fresh
    random one; else the one kept beside the SQLite file, made (random, mode 0600) on first use. It is created
    atomically: written whole to a private temporary file, then linked into place, so concurrent starts on one
    data directory agree on a single secret and no reader sees a partial file."""
    if configured:
        return configured
    if str(db_path) == ":memory:":
        return secrets.token_urlsafe(SECRET_BYTES)
    path = db_path.with_name(db_path.name + SECRET_SUFFIX)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(SECRET_BYTES) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another start made it first: theirs is kept
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    value = path.read_text(encoding="ascii").strip()
    if len(value) < MIN_SECRET_CHARS:
        raise RuntimeError(f"{path} holds no usable signing secret: delete it and a new one is made")
    return value


MAX_VERIFIED_KEYS = 4096  # one per running execution is plenty; expired ones are dropped first


def jwt_invalid(reason: str) -> AppwriteError:
    return AppwriteError(401, "user_jwt_invalid", f"Failed to verify JWT. Invalid token: {reason}")


class Credentials:
    """Mints and checks the project's keys and user JWTs; remembers revoked execution keys until they expire."""

    def __init__(self, project_id: str, api_key: str, jwt_secret: str) -> None:
        self.project_id = project_id
        self._api_key = api_key
        self._secret = jwt_secret
        self._revoked: dict[str, float] = {}  # execution key -> when it would have expired anyway
        # Execution keys already verified -> their caller and expiry: a function sends its key with each of its
        # Appwrite calls, and checking the signature each time was a third of a row request's work.
        self._verified: dict[str, tuple[Caller, float]] = {}
        self._lock = threading.Lock()

    # ---- execution keys

    def mint_function_key(self, scopes: Iterable[str], ttl_s: int) -> str:
        """An execution key as Appwrite gives a function in ``x-appwrite-key``."""
        payload = {"projectId": self.project_id, "scopes": sorted(set(scopes)), "exp": int(time.time()) + ttl_s}
        return EPHEMERAL_PREFIX + jwt.encode(payload, self._secret, algorithm="HS256")

    def revoke_function_key(self, key: str) -> None:
        """Refuse ``key`` from now on: a function past its timeout, whose thread cannot be killed as Appwrite kills
        the runtime. Entries are dropped once the key would have expired anyway."""
        now = time.time()
        try:
            exp = float(jwt.decode(key[len(EPHEMERAL_PREFIX) :], options={"verify_signature": False}).get("exp", now))
        except jwt.PyJWTError:
            exp = now + 3600
        with self._lock:
            for old in [k for k, until in self._revoked.items() if until < now]:
                del self._revoked[old]
            self._revoked[key] = exp
            self._verified.pop(key, None)

    def key_caller(self, key: str) -> Caller:
        """The caller of an ``X-Appwrite-Key``: the project key or a valid execution key; else 401."""
        if hmac.compare_digest(key.encode(), self._api_key.encode()):
            return PROJECT_KEY
        if not key.startswith(EPHEMERAL_PREFIX):
            raise user_unauthorized()
        with self._lock:
            revoked = key in self._revoked  # its execution timed out
            verified = self._verified.get(key)
        if revoked:
            raise user_unauthorized()
        if verified is not None and verified[1] > time.time():  # PyJWT's expiry rule with leeway 0
            return verified[0]
        try:
            payload = jwt.decode(key[len(EPHEMERAL_PREFIX) :], self._secret, algorithms=["HS256"], leeway=0)
        except jwt.ExpiredSignatureError:
            raise AppwriteError(
                401,
                "project_key_expired",
                "The project key has expired. Please generate a new key using the Appwrite console.",
            ) from None
        except jwt.PyJWTError:
            raise user_unauthorized() from None
        if payload.get("projectId") != self.project_id:
            raise user_unauthorized()
        scopes = payload.get("scopes") or []
        if not isinstance(scopes, list):
            raise user_unauthorized()
        caller = Caller(
            kind="key", user_id=None, roles=frozenset({"any"}), scopes=frozenset(map(str, scopes)), role_list=("any",)
        )
        exp = payload.get("exp")
        if isinstance(exp, int | float):
            with self._lock:
                if len(self._verified) >= MAX_VERIFIED_KEYS:
                    now = time.time()
                    self._verified = {k: v for k, v in self._verified.items() if v[1] > now}
                    if len(self._verified) >= MAX_VERIFIED_KEYS:
                        self._verified.clear()
                if key not in self._revoked:
                    self._verified[key] = (caller, float(exp))
        return caller

    # ---- user JWTs

    def mint_user_jwt(self, user_id: str, duration_s: int = 900, session_id: str = "") -> str:
        payload = {"userId": user_id, "sessionId": session_id, "exp": int(time.time()) + duration_s}
        return jwt.encode(payload, self._secret, algorithm="HS256")

    def user_id_from_jwt(self, token: str) -> str | None:
        """The user a JWT names (None when it names none). Bad signature or expiry -> 401 ``user_jwt_invalid``."""
        try:
            payload = jwt.decode(token, self._secret, algorithms=["HS256"], leeway=0)
        except jwt.ExpiredSignatureError:
            raise jwt_invalid("Expired") from None
        except jwt.DecodeError as exc:
            reason = "Incomplete segments" if "segments" in str(exc).lower() else "Signature failed"
            raise jwt_invalid(reason) from None
        except jwt.PyJWTError:
            raise jwt_invalid("Signature failed") from None
        user_id = payload.get("userId")
        if not isinstance(user_id, str) or not user_id:
            return None
        return user_id
