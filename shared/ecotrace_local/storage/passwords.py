"""Password hashes for account sign-in: scrypt from the standard library (``hashlib.scrypt``), so the local stack
needs no extra dependency. Appwrite hashes with Argon2 by default and also verifies scrypt hashes (its ``scrypt``
hash option); either way the stored value is a salted, deliberately slow hash, never the password.

Format: ``scrypt$<log2 n>$<r>$<p>$<salt, base64>$<64-byte key, base64>``. The parameters are Appwrite's scrypt
defaults (``costCpu`` 2^14, ``costMemory`` 8, ``costParallel`` 1, ``length`` 64): about 16 MiB and a few tens of
milliseconds per hash. Nothing here logs or returns a password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from ..errors import argument_invalid

LOG2_N = 14
R = 8
P = 1
KEY_BYTES = 64
SALT_BYTES = 16
MIN_LENGTH = 8  # Appwrite's Password validator: 8..256 characters
MAX_LENGTH = 256
PASSWORD_RULE = "Password must be between 8 and 256 characters long."


def check_password(value: object, param: str = "password") -> str:
    """The password if it is a string of 8..256 characters, else 400 ``general_argument_invalid``."""
    if not isinstance(value, str) or not MIN_LENGTH <= len(value) <= MAX_LENGTH:
        raise argument_invalid(param, PASSWORD_RULE)
    return value


def _derive(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=1 << log2_n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=KEY_BYTES
    )


def hash_password(password: str) -> str:
    salt = os.urandom(SALT_BYTES)
    key = _derive(password, salt, LOG2_N, R, P)
    encode = base64.b64encode
    return f"scrypt${LOG2_N}${R}${P}${encode(salt).decode()}${encode(key).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored`` (constant-time comparison; a malformed hash never matches)."""
    if not stored:
        return False
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        log2_n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, key = base64.b64decode(parts[4]), base64.b64decode(parts[5])
    except ValueError:
        return False
    if not (1 <= log2_n <= 20 and 1 <= r <= 32 and 1 <= p <= 16):
        return False
    return hmac.compare_digest(_derive(password, salt, log2_n, r, p), key)
