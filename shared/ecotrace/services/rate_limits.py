"""Rate limits that hold across function instances: a counter row per caller and window, in Appwrite.

One request costs one atomic increment with a bound (Appwrite's ``max``; past it Appwrite answers 400
``column_limit_exceeded`` and changes nothing), plus one create the first time a caller is seen in a window.
Two instances creating the same window's row at once: one create fails (409) and that request increments
instead. So the budget is shared by every execution, whichever instance runs it.

Who is limited (``RATE_LIMIT_*`` in ``ecotrace.settings``):

- signed-in users, on every action they may call: per user (``x-appwrite-user-id``) and per client address
  (``x-appwrite-client-ip``); both set by Appwrite, not by the caller;
- the webhook, per GitHub hook (``x-github-hook-id``), counted after the signature is checked, so unsigned
  traffic cannot use up a hook's budget (see ``WebhookIngest``: a refused delivery's body is kept for replay);
- not schedules, events or API-key callers (Appwrite itself exempts API keys from its abuse limits).

If the counter cannot be reached the request goes ahead (logged): a counter outage must not refuse work that
the store behind it may still be able to do, nor lose a delivery.
"""

from __future__ import annotations

import logging

from ..clock import Clock, utc_now
from ..domain.invocation import Invocation
from ..domain.rate_limit import Policy, Scope, counter_id, describe, window_at
from ..errors import ConflictError, LimitReachedError, NotFoundError, RateLimitedError, StorageError
from ..ports import Store
from ..tables import rate_limits

log = logging.getLogger(__name__)

_WHO = {Scope.USER: "this user", Scope.IP: "this address", Scope.HOOK: "this webhook"}


class RateLimiter:
    def __init__(self, store: Store, policy: Policy, *, clock: Clock = utc_now) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock

    def hit(self, scope: Scope, key: str | None) -> None:
        """Count one request of ``key`` in ``scope``; RateLimitedError (429, ``retry_after_s``) past the budget."""
        budget = self.policy.budget(scope)
        if budget <= 0 or not key:
            return
        now_ms = int(self.clock().timestamp() * 1000)
        window = window_at(now_ms, self.policy.window_ms)
        row_id = counter_id(scope, key, window)
        try:
            for _ in range(2):
                try:
                    self.store.increment(rate_limits.NAME, row_id, rate_limits.COUNT, 1, bound=budget)
                    return
                except NotFoundError:
                    pass
                try:
                    self.store.create(rate_limits.NAME, row_id, rate_limits.first_row(scope, window))
                    return
                except ConflictError:
                    continue  # another instance created it first: count on its row
        except LimitReachedError:
            retry = window.retry_after_s(now_ms)
            raise RateLimitedError(
                f"too many requests from {_WHO[scope]}: at most {describe(budget, self.policy.window_ms)}; "
                f"try again in {retry} s",
                retry_after_s=retry,
                details={"scope": scope.value, "limit": budget, "window_s": self.policy.window_ms // 1000},
            ) from None
        except StorageError as exc:
            log.warning("rate limit not checked (%s): the request goes ahead", exc.message)

    def check_user_call(self, invocation: Invocation) -> None:
        """The limits of a signed-in user's execution (per user, then per address); nothing for other callers."""
        if invocation.trigger != "http" or not invocation.user_id:
            return
        self.hit(Scope.USER, invocation.user_id)
        self.hit(Scope.IP, invocation.client_ip)
