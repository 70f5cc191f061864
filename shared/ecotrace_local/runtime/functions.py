"""The functions of appwrite.json, run in process: executions (sync, async, scheduled), the headers and execution
key each one gets, event triggers and schedules, and a listener hook for finished executions (realtime).

Executions follow Appwrite 1.9.6 (reference: appwrite-rest.md section 5): the headers the function receives are
set after the caller's, so ``x-appwrite-*`` cannot be forged; a synchronous HTTP call waits at most
``SYNC_LIMIT_S`` (then 408, the function running on until its own timeout).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from ..errors import APPWRITE_VERSION, AppwriteError
from ..events import EventBus
from ..storage.credentials import Credentials
from ..storage.timestamps import now_iso
from .executions import Call, Execution, ExecutionListener, ExecutionStore, new_execution_id
from .quotas import ASYNC, SCHEDULED, PendingExecutions
from .runner import RUNTIME_NAME, FunctionRuntime, Invocation, Outcome, split_path
from .specs import FunctionSpec, source_dir
from .triggers import EventTriggers, Scheduler

logger = logging.getLogger(__name__)

SYNC_LIMIT_S = 30.0  # Appwrite: synchronous executions wait at most 30 s, then 408
EVENT_USER_AGENT = f"Appwrite/{APPWRITE_VERSION}"


def function_env(variables: Mapping[str, str], *, endpoint: str, project_id: str) -> dict[str, str]:
    """What every function finds in its environment: the project's variables plus Appwrite's own."""
    return {
        **variables,
        "APPWRITE_FUNCTION_API_ENDPOINT": endpoint,
        "APPWRITE_FUNCTION_PROJECT_ID": project_id,
        "APPWRITE_FUNCTION_RUNTIME_NAME": RUNTIME_NAME,
        "APPWRITE_FUNCTION_RUNTIME_VERSION": "3.12",
        "APPWRITE_FUNCTION_DEPLOYMENT": "local",
        "APPWRITE_REGION": "local",
    }


class FunctionsService:
    """The functions of appwrite.json, their executions, triggers and schedules, for one running stack."""

    def __init__(
        self,
        root: Path,
        specs: Mapping[str, FunctionSpec],
        *,
        credentials: Credentials,
        bus: EventBus,
        endpoint: str,
        variables: Mapping[str, str] | None = None,
        legacy_databases: Collection[str] = frozenset(),
        run_schedules: bool = True,
    ) -> None:
        self.root = root
        self.specs: dict[str, FunctionSpec] = dict(specs)
        self.legacy_databases = frozenset(legacy_databases)
        self._credentials = credentials
        self._bus = bus
        self.env = function_env(variables or {}, endpoint=endpoint, project_id=credentials.project_id)
        self.runtime = FunctionRuntime(root, self.specs, env=self.env)
        self.store = ExecutionStore()
        self.pending = PendingExecutions()  # what callers without a key have waiting (quotas.py)
        self._background = ThreadPoolExecutor(max_workers=8, thread_name_prefix="fn-async")
        self._listeners: list[ExecutionListener] = []
        self._saved_env: dict[str, str | None] = {}
        self.triggers = EventTriggers(self)
        self.scheduler = Scheduler(self, cron=run_schedules)
        self._started = False

    # ---- lifecycle

    def install(self) -> None:
        """Set the functions' environment, subscribe the event triggers, start the schedules."""
        if self._started:
            return
        self._started = True
        for key, value in self.env.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        self.triggers.start(self._bus)
        self.scheduler.start()

    def uninstall(self) -> None:
        """Stop triggering and scheduling, drop queued executions, restore the environment (running functions run
        on: their threads cannot be killed). Idempotent."""
        self.scheduler.stop()
        self.triggers.stop()
        self._background.shutdown(wait=False, cancel_futures=True)
        self.runtime.shutdown()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    def close(self) -> None:
        self.uninstall()
        self.store.close()

    def add_listener(self, listener: ExecutionListener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # ---- executing

    def spec(self, function_id: str) -> FunctionSpec:
        spec = self.specs.get(function_id)
        if spec is None:
            raise AppwriteError(
                404, "function_not_found", f"Function with the requested ID '{function_id}' could not be found."
            )
        return spec

    def runnable(self, function_id: str, *, privileged: bool) -> FunctionSpec:
        """The function, if it can be executed: a disabled one is "not found" except to keys (Appwrite does the
        same); one without source code locally has no deployment (404 ``deployment_not_found``)."""
        spec = self.spec(function_id)
        if not spec.enabled and not privileged:
            raise AppwriteError(
                404, "function_not_found", f"Function with the requested ID '{function_id}' could not be found."
            )
        if not (source_dir(self.root, spec) / spec.entrypoint).is_file():
            raise AppwriteError(
                404,
                "deployment_not_found",
                f"Deployment with the requested ID could not be found: no {spec.entrypoint} in functions/{spec.id}.",
            )
        return spec

    def _function_headers(self, spec: FunctionSpec, call: Call, execution_id: str) -> dict[str, str]:
        headers = {k.lower(): str(v) for k, v in call.headers.items() if not k.lower().startswith("x-appwrite-")}
        if call.trigger == "event":
            headers["user-agent"] = EVENT_USER_AGENT
            headers["content-type"] = "application/json"
        server = {
            "x-appwrite-execution-id": execution_id,
            "x-appwrite-key": self._credentials.mint_function_key(list(spec.scopes), spec.timeout_s + 60),
            "x-appwrite-trigger": call.trigger,
            "x-appwrite-user-id": call.user_id,
            "x-appwrite-user-jwt": "",
            "x-appwrite-country-code": "",
            "x-appwrite-continent-code": "",
            "x-appwrite-continent-eu": "false",
            "x-appwrite-client-ip": call.client_ip,
        }
        if call.is_async or call.trigger != "http":
            server["x-appwrite-event"] = call.event
        headers.update(server)
        return headers

    def start(self, spec: FunctionSpec, call: Call) -> Execution:
        """Create the execution; run it now (sync) or in the background (async, event, schedule). Waiting work of a
        caller without a key is bounded (``quotas.py``: 429 past the bounds)."""
        execution_id = new_execution_id()
        if call.scheduled_at is not None:
            release = self.pending.admit(call.quota_key, spec.id, SCHEDULED, len(call.body))
            try:
                return self._schedule_once(spec, call, execution_id, release)
            except BaseException:
                release()
                raise
        headers = self._function_headers(spec, call, execution_id)
        # What the execution records of the request: the caller's headers, never the server-set x-appwrite-*
        # (the execution key must not leak to whoever reads the execution).
        caller_headers = {k: v for k, v in headers.items() if not k.startswith("x-appwrite-")}
        permissions = [f'read("user:{call.user_id}")'] if call.user_id else []
        execution = Execution(
            id=execution_id,
            function_id=spec.id,
            trigger=call.trigger,
            status="waiting" if call.is_async else "processing",
            method=call.method,
            path=call.path,
            request_headers=caller_headers,
            permissions=permissions,
        )
        if call.is_async:
            release = self.pending.admit(call.quota_key, spec.id, ASYNC, len(call.body))
            self.store.put(execution)
            try:
                self._background.submit(self._run_logged, spec, call, execution, headers, release)
            except RuntimeError:  # shut down: record the execution as failed instead of failing the caller
                release()
                logger.warning("execution %s of %s not run: the local stack is shutting down", execution_id, spec.id)
                self.store.put(replace(execution, status="failed", errors="The local stack is shutting down."))
            return execution
        self.store.put(execution)
        return self._run(spec, call, execution, headers, wait_s=SYNC_LIMIT_S if call.trigger == "http" else None)

    def _schedule_once(
        self, spec: FunctionSpec, call: Call, execution_id: str, release: Callable[[], None]
    ) -> Execution:
        """A ``scheduledAt`` execution: stored as ``scheduled`` (trigger ``schedule``) and started by the scheduler
        when due, with its headers (and execution key) made then. Refused (503) once the stack is shutting down,
        rather than accepted and never run; pending ones are dropped at shutdown (executions live in memory)."""
        assert call.scheduled_at is not None
        execution = Execution(
            id=execution_id,
            function_id=spec.id,
            trigger="schedule",
            status="scheduled",
            method=call.method,
            path=call.path,
            request_headers={k.lower(): v for k, v in call.headers.items() if not k.lower().startswith("x-appwrite-")},
            permissions=[f'read("user:{call.user_id}")'] if call.user_id else [],
            scheduled_at=call.scheduled_at.isoformat(timespec="milliseconds"),
        )
        due_call = replace(call, scheduled_at=None, is_async=True, trigger="schedule")

        def launch() -> None:
            headers = self._function_headers(spec, due_call, execution_id)
            waiting = replace(execution, status="waiting", updated_at=now_iso())
            self.store.put(waiting)
            try:
                self._background.submit(self._run_logged, spec, due_call, waiting, headers, release)
            except RuntimeError:  # shut down between its time and now
                release()
                self.store.put(replace(waiting, status="failed", errors="The local stack is shutting down."))

        if not self.scheduler.add_one_off(call.scheduled_at, launch):
            raise AppwriteError(
                503,
                "general_service_unavailable",
                "The local stack is shutting down: the execution was not scheduled. Schedule it again once it runs.",
            )
        self.store.put(execution)
        return execution

    def _run_logged(
        self,
        spec: FunctionSpec,
        call: Call,
        execution: Execution,
        headers: dict[str, str],
        release: Callable[[], None],
    ) -> None:
        try:
            self._run(spec, call, execution, headers, wait_s=None)
        except Exception:
            logger.exception("async execution %s of %s failed in the runtime", execution.id, spec.id)
        finally:
            release()  # its caller may queue another

    def _run(
        self, spec: FunctionSpec, call: Call, execution: Execution, headers: dict[str, str], *, wait_s: float | None
    ) -> Execution:
        # Stored executions are replaced, never mutated, so readers on other threads see whole states. A
        # synchronous one was stored as "processing" a moment ago by start().
        if execution.status != "processing":
            self.store.put(replace(execution, status="processing", updated_at=now_iso()))
        path, query_string = split_path(call.path)
        outcome: Outcome = self.runtime.run(
            spec,
            Invocation(
                method=call.method,
                path=path,
                query_string=query_string,
                headers=headers,
                body=call.body,
                scheme=call.scheme,
                host=call.host,
                port=call.port,
            ),
            wait_s=wait_s,
        )
        if outcome.timed_out:
            # Past its own timeout Appwrite kills the function; here its thread runs on, so its key stops working
            # then: now, or (the caller stopped waiting first: 408) when the function's own timeout comes.
            key = headers["x-appwrite-key"]
            remaining_s = float(spec.timeout_s) - outcome.duration_s
            if wait_s is None or remaining_s <= 0:
                self._credentials.revoke_function_key(key)
            else:
                timer = threading.Timer(remaining_s, self._credentials.revoke_function_key, (key,))
                timer.daemon = True
                timer.start()
        execution = replace(
            execution,
            status="completed" if outcome.status_code < 500 else "failed",
            status_code=outcome.status_code,
            response_body=outcome.body,
            response_headers=dict(outcome.headers),
            logs=outcome.logs,
            errors=outcome.errors,
            duration_s=outcome.duration_s,
            updated_at=now_iso(),
        )
        # Stored copies never show the body (Appwrite returns it only to the sync caller): don't keep it in memory.
        self.store.put(replace(execution, response_body=b""))
        # A failed execution is a warning with its errors, so a developer watching the stack's output sees why.
        logger.log(
            logging.WARNING if execution.status == "failed" else logging.INFO,
            "execution %s of %s (%s): %s %d in %.3fs%s",
            execution.id,
            spec.id,
            call.trigger,
            execution.status,
            outcome.status_code,
            outcome.duration_s,
            f"\n{outcome.errors}" if execution.status == "failed" and outcome.errors else "",
        )
        for listener in list(self._listeners):
            try:
                listener(execution)
            except Exception:
                logger.exception("execution listener failed")
        if outcome.timed_out and wait_s is not None and spec.timeout_s > wait_s:
            raise AppwriteError(
                408,
                "function_synchronous_timeout",
                "Synchronous function execution timed out. Use asynchronous "
                "execution instead, or ensure the execution duration doesn't exceed 30 seconds.",
            )
        return execution
