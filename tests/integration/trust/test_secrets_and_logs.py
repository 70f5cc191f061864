"""The webhook, calculator, integration and sign-up flows, run with known secret values: none of them appears in
an execution's logs, an answer, a stored row or a realtime frame, and no e-mail address reaches a log; and every
execution writes exactly one JSON line to its logs with the fields an operator needs."""

from __future__ import annotations

import json
import re
from typing import Any

from appwrite.query import Query
from appwrite.services.functions import Functions

from ecotrace_local.testing import StackHandle
from tests.fakes.electricity_maps import FakeElectricityMaps, Scripted
from tests.integration.trust.trust_world import (
    ADA,
    BOB,
    EM_KEY,
    GITHUB_TOKEN,
    WEBHOOK_SECRET,
    RealtimeRecorder,
    build_world,
    call_api,
    deliver,
    everything,
    execute,
    push,
    run_leaderboards,
    until_done,
)

FUNCTIONS = ("github-webhook", "carbon-calculator", "leaderboard-updater", "api-integrations")
SUMMARY_FIELDS = {
    "type",
    "function",
    "trigger",
    "request_id",
    "status",
    "duration_ms",
    "appwrite_requests",
    "peak_memory_mb",
    "time",
}
JWT = re.compile(r"eyJ[\w-]{6,}\.[\w-]{6,}\.[\w-]+")


def executions(stack: StackHandle) -> list[Any]:
    listed: list[Any] = []
    for function in FUNCTIONS:
        found = Functions(stack.client()).list_executions(function, queries=[Query.limit(100)])
        listed.extend(found.executions)
    return listed


def run_every_flow(stack: StackHandle, em: FakeElectricityMaps) -> list[str]:
    """The flows, and every answer (bodies and headers) as text."""
    em.intensity["DE"] = 321
    answers: list[str] = []
    build_world(stack)  # webhook deliveries (signed), sign-up of both (OAuth tokens)
    answers.append(deliver(stack, "push", push(ADA, [(ADA, "e1" * 20, "x")]), "d-bad", secret="wrong").text)
    ada = stack.user_client(ADA.account, email=ADA.email)
    activity = next(r for r in everything(stack)["activities"] if r["user_id"] == ADA.user_id)
    for body in (
        {"action": "calculate", "activity_id": activity["$id"]},
        {"action": "recalculate"},
        {"action": "estimate", "activity": {"type": "ci_run", "duration_s": 300, "runner_labels": ["ubuntu-latest"]}},
    ):
        _status, answer, execution = execute(stack, ada, "carbon-calculator", body)
        answers.append(json.dumps(answer))
        answers.append(json.dumps([(h.name, h.value) for h in execution.responseheaders]))
    for body in (
        {"action": "fetch_emission_factors", "region": "DE"},
        {"action": "fetch_emission_factors_batch", "regions": ["DE", "FR"]},
        {"action": "health"},
        {"action": "link_github_account", "github_token": "gho_notAKnownToken0123456789xyz"},
        {"action": "update_profile", "location": ADA.email},  # refused: the message quotes it
        {"action": "update_profile", "display_name": "Ada", "location": "DE"},
    ):
        answers.append(json.dumps(call_api(stack, ADA, body)))
    em.always = Scripted(401, {"error": "Invalid auth-token", "message": f"token {EM_KEY} is not valid"})
    answers.append(json.dumps(call_api(stack, ADA, {"action": "fetch_emission_factors", "region": "FR"})))
    answers.append(json.dumps(call_api(stack, ADA, {"action": "health"})))
    em.always = None
    answers.append(json.dumps(run_leaderboards(stack)))
    scheduled = stack.stack.functions.scheduler.fire_next_due(wait=True)  # a schedule (no row events any more)
    assert scheduled is not None
    answers.append(json.dumps(until_done(stack, BOB, {"action": "export_my_data"})))
    answers.append(json.dumps(until_done(stack, ADA, {"action": "delete_my_data", "confirm": True})))
    return answers


def test_no_secret_reaches_logs_answers_rows_or_realtime_and_no_email_reaches_a_log(
    stack: StackHandle, em: FakeElectricityMaps
) -> None:
    ada_jwt = stack.user_jwt(ADA.account, email=ADA.email)
    channels = ["rows", "executions", "account", "databases.ecotrace-main.tables.leaderboards.rows"]
    with RealtimeRecorder(stack, ada_jwt, channels) as realtime:
        answers = run_every_flow(stack, em)
    assert len(realtime.frames) > 5  # her rows, the boards and her executions did arrive
    logs = [e.logs + "\n" + e.errors for e in executions(stack)]
    rows = json.dumps(everything(stack))
    secrets = {
        "webhook secret": WEBHOOK_SECRET,
        "server GitHub token": GITHUB_TOKEN,
        "Electricity Maps key": EM_KEY,
        "Ada's OAuth token": ADA.token,
        "Bob's OAuth token": BOB.token,
        "a token sent in a request": "gho_notAKnownToken0123456789xyz",
        "the project API key": stack.api_key,
        "Ada's JWT": ada_jwt,
    }
    places = {
        "logs": "\n".join(logs),
        "answers": "\n".join(answers),
        "rows": rows,
        "realtime": "\n".join(realtime.frames),
    }
    leaks = [(name, where) for name, secret in secrets.items() for where, text in places.items() if secret in text]
    assert leaks == []
    assert [where for where, text in places.items() if where != "rows" and JWT.search(text)] == []
    assert "ephemeral_" not in places["logs"] + places["answers"] + places["realtime"]  # execution keys
    assert ADA.email in places["answers"]  # her own refused input, quoted back to her ...
    assert ADA.email not in places["logs"]  # ... but never logged
    assert BOB.email not in places["logs"]


def test_every_execution_logs_exactly_one_json_line_with_the_operators_fields(
    stack: StackHandle, em: FakeElectricityMaps
) -> None:
    run_every_flow(stack, em)
    seen = executions(stack)
    triggers = set()
    functions = set()
    for execution in seen:
        lines = [line for line in execution.logs.splitlines() if line.strip()]
        assert len(lines) == 1, (execution.id, execution.logs)
        line = json.loads(lines[0])
        assert set(line) >= SUMMARY_FIELDS, line
        assert line["type"] == "execution"
        assert line["request_id"] == execution.id
        assert line["status"] == execution.responsestatuscode
        assert isinstance(line["appwrite_requests"], int)
        if line.get("outcome") in ("processed", "calculated", "done", "updated"):  # work that read or wrote rows
            assert line["appwrite_requests"] > 0, line
        assert line["duration_ms"] >= 0
        triggers.add(line["trigger"])
        functions.add(line["function"])
        for error in filter(str.strip, execution.errors.splitlines()):
            assert json.loads(error)["type"] in ("error", "log")
    assert {"http", "schedule"} <= triggers
    assert functions == set(FUNCTIONS)
