"""The account rules (Appwrite 1.9.6 ``app/controllers/api/account.php``) over the users and sessions stores:
sign-up, e-mail/password, anonymous, token and OAuth2 sessions, with Appwrite's errors.

- ``sign_up``: e-mail lower-cased, password 8..256 characters, stored as a scrypt hash (``passwords.py``); no
  session is created; a taken id or e-mail is 409 ``user_already_exists``.
- ``email_session``: an unknown e-mail, a wrong password and a user without a password (anonymous, OAuth2 only)
  all answer the same 401 ``user_invalid_credentials``; a blocked user 403 ``user_blocked``.
- ``oauth_session``: the user behind a provider account: the signed-in caller (linking), else the identity's
  owner, else the user with the provider's verified e-mail, else a new user (Appwrite's resolution order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import AppwriteError, argument_invalid
from .ids import new_unique_id
from .passwords import check_password, hash_password, verify_password
from .sessions import NewSession, Sessions
from .users import Users, user_already_exists

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NAME = 128


def invalid_credentials() -> AppwriteError:
    return AppwriteError(401, "user_invalid_credentials", "Invalid credentials. Please check the email and password.")


def user_blocked() -> AppwriteError:
    return AppwriteError(403, "user_blocked", "The current user has been blocked.")


def invalid_token() -> AppwriteError:
    return AppwriteError(401, "user_invalid_token", "Invalid token passed in the request.")


def check_email(value: object, param: str = "email") -> str:
    if not isinstance(value, str) or len(value) > 255 or not EMAIL_RE.match(value):
        raise argument_invalid(param, "Value must be a valid email address")
    return value.lower()


def check_name(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_NAME:
        raise argument_invalid("name", "Value must be a valid string and at least 1 chars and no longer than 128 chars")
    return value


@dataclass(frozen=True)
class ProviderProfile:
    """Who an OAuth2 provider says the person is (GitHub: ``GET /user`` and ``GET /user/emails``)."""

    provider: str
    uid: str
    name: str
    email: str
    email_verified: bool
    access_token: str


class Accounts:
    def __init__(self, users: Users, sessions: Sessions) -> None:
        self.users = users
        self.sessions = sessions

    def sign_up(self, user_id: str, email: object, password: object, name: object = None) -> dict[str, Any]:
        address = check_email(email)
        secret = check_password(password)
        return self.users.create(user_id, address, check_name(name), password_hash=hash_password(secret))

    def email_session(self, email: object, password: object, *, ip: str = "") -> NewSession:
        address = check_email(email)
        secret = check_password(password)
        found = self.users.find_by_email(address)
        if found is None:
            raise invalid_credentials()
        user, stored = found
        if not verify_password(secret, stored):
            raise invalid_credentials()
        if not user["status"]:
            raise user_blocked()
        return self.sessions.create(user["$id"], provider="email", provider_uid=address, factors=("password",), ip=ip)

    def anonymous_session(self, *, ip: str = "") -> NewSession:
        user = self.users.create(new_unique_id())
        return self.sessions.create(user["$id"], provider="anonymous", factors=("anonymous",), ip=ip)

    def token_session(self, user_id: str, secret: str, *, ip: str = "") -> NewSession:
        """Exchange a one-time token (OAuth2 token flow) for a session; 401 ``user_invalid_token`` otherwise."""
        provider = self.sessions.consume_token(user_id, secret)
        user = self.users.get(user_id)
        if provider is None or user is None:
            raise invalid_token()
        if not user["status"]:
            raise user_blocked()
        uid, access_token = self.sessions.identity_token(user_id, provider) or ("", "")
        return self.sessions.create(
            user_id, provider=provider, provider_uid=uid, provider_access_token=access_token,
            factors=("email", "oauth2"), ip=ip,
        )  # fmt: skip

    def oauth_user(self, profile: ProviderProfile, signed_in: str | None) -> str:
        """The user ``profile`` signs in (see the module docstring); its identity is saved or refreshed."""
        owner = self.sessions.identity_owner(profile.provider, profile.uid)
        by_email = self.users.find_by_email(profile.email) if profile.email else None
        email_owner = by_email[0]["$id"] if by_email else None
        if signed_in:
            if (owner and owner != signed_in) or (email_owner and email_owner != signed_in):
                raise user_already_exists()
            user_id = signed_in
        elif owner:
            user_id = owner
        elif email_owner:
            if not profile.email_verified:
                raise AppwriteError(
                    400,
                    "general_bad_request",
                    "There was an error processing your request. Please check the inputs and try again.",
                )
            user_id = email_owner
        else:
            if not profile.email:
                raise AppwriteError(401, "user_unauthorized", "OAuth provider failed to return email.")
            created = self.users.create(
                new_unique_id(), profile.email.lower(), profile.name[:MAX_NAME], email_verified=profile.email_verified
            )
            user_id = created["$id"]
        user = self.users.get(user_id)
        if user is None:
            raise user_already_exists()
        if not user["status"]:
            raise user_blocked()
        self.sessions.save_identity(user_id, profile.provider, profile.uid, profile.email, profile.access_token)
        return user_id

    def oauth_session(self, profile: ProviderProfile, signed_in: str | None, *, ip: str = "") -> NewSession:
        user_id = self.oauth_user(profile, signed_in)
        return self.sessions.create(
            user_id, provider=profile.provider, provider_uid=profile.uid,
            provider_access_token=profile.access_token, factors=("email", "oauth2"), ip=ip,
        )  # fmt: skip
