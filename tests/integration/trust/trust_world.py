"""Two people on the local stack, with what the product stores about them, and the ways a client reaches it.

Ada (GitHub 7001 ``ada-l``, account ``acct-ada``) and Bob (GitHub 7002 ``bobby``, account ``acct-bob``) work in
the ``eco-org/trace`` repository. Ada pushes her own commits and opens a pull request; Bob pushes one commit of his
and one Ada wrote (so Bob's delivery names Ada); both link their GitHub accounts. Deliveries go to the webhook's
domain signed with the known secret, as GitHub sends them; every other call goes through the real SDK.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from appwrite.query import Query
from appwrite.services.functions import Functions

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace.domain.signature import sign
from ecotrace_local.testing import StackHandle

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "github-webhooks"
WEBHOOK_SECRET = "whsec-known-value-4f1d9c2a"
PREVIOUS_SECRET = "whsec-previous-value-77aa01"
GITHUB_TOKEN = "ghp_serverToken0123456789abcdefXYZ"
EM_KEY = "em-known-key-5b7e9d1c3a"
HOOK_ID = "555001"

ORG = {"login": "eco-org", "id": 9000, "node_id": "O_eco", "type": "Organization", "avatar_url": "https://a/9000"}


class Person:
    def __init__(self, github_id: int, login: str, name: str, email: str, account: str, token: str) -> None:
        self.github_id, self.login, self.name, self.email = github_id, login, name, email
        self.account, self.token = account, token

    @property
    def user_id(self) -> str:
        return f"gh_{self.github_id}"

    def account_json(self) -> dict[str, Any]:
        return {
            "login": self.login,
            "id": self.github_id,
            "node_id": f"U_{self.login}",
            "type": "User",
            "avatar_url": f"https://avatars.example/u/{self.github_id}",
        }

    def commit_person(self) -> dict[str, Any]:
        return {"name": self.name, "email": self.email, "username": self.login}

    def traces(self) -> list[str]:
        """Strings that name this person in stored data."""
        return [self.login, self.email, self.name, f'"id": {self.github_id}', f'"id":{self.github_id}', self.user_id]


ADA = Person(7001, "ada-l", "Ada Lovelace", "ada@example.org", "acct-ada", "gho_adaOAuthToken0123456789abcd")
BOB = Person(7002, "bobby", "Bob Babbage", "bob@example.org", "acct-bob", "gho_bobOAuthToken0123456789abcd")


def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def _repository(data: dict[str, Any]) -> None:
    repo = data["repository"]
    repo.update(
        owner=copy.deepcopy(ORG),
        full_name="eco-org/trace",
        name="trace",
        id=424242,
        html_url="https://github.com/eco-org/trace",
    )
    for key, value in list(repo.items()):
        if isinstance(value, str) and "Codertocat" in value:
            repo[key] = value.replace("Codertocat/Hello-World", "eco-org/trace").replace("Codertocat", "eco-org")


def push(sender: Person, commits: list[tuple[Person, str, str]]) -> bytes:
    """A push by ``sender`` of commits ``(author, sha, message)``."""
    data = _fixture("push/with-new-branch.payload.json")
    template = data["commits"][0]
    data["sender"] = sender.account_json()
    data["pusher"] = {"name": sender.login, "email": sender.email}
    _repository(data)
    data["commits"] = []
    for author, sha, message in commits:
        commit = copy.deepcopy(template)
        commit.update(
            id=sha,
            tree_id=sha,
            message=message,
            author=author.commit_person(),
            committer=sender.commit_person(),
            url=f"https://github.com/eco-org/trace/commit/{sha}",
        )
        data["commits"].append(commit)
    data["head_commit"] = copy.deepcopy(data["commits"][-1])
    data["compare"] = "https://github.com/eco-org/trace/compare/a...b"
    return json.dumps(data).encode()


def pull_request(sender: Person) -> bytes:
    data = _fixture("pull_request/opened.payload.json")
    data["sender"] = sender.account_json()
    data["pull_request"]["user"] = sender.account_json()
    _repository(data)
    text = json.dumps(data).replace("Codertocat", "eco-org")
    return text.encode()


def deliver(stack: StackHandle, event: str, body: bytes, delivery: str, secret: str = WEBHOOK_SECRET) -> httpx.Response:
    headers = {
        "x-github-event": event,
        "x-github-delivery": delivery,
        "x-github-hook-id": HOOK_ID,
        "content-type": "application/json",
        "user-agent": "GitHub-Hookshot/test",
        "x-hub-signature-256": sign(secret, body),
    }
    return httpx.post(f"{stack.base_url}/functions/github-webhook/", content=body, headers=headers, timeout=30)


def execute(stack: StackHandle, client: Any, function: str, body: dict[str, Any], **extra: Any) -> tuple[int, Any, Any]:
    """(status, JSON answer, the execution) of a synchronous execution through the SDK."""
    execution = Functions(client).create_execution(function, body=json.dumps(body), xasync=False, **extra)
    try:
        answer = json.loads(execution.responsebody) if execution.responsebody else None
    except json.JSONDecodeError:
        answer = execution.responsebody
    return int(execution.responsestatuscode), answer, execution


def call_api(stack: StackHandle, person: Person, body: dict[str, Any], **extra: Any) -> tuple[int, Any]:
    status, answer, _ = execute(
        stack, stack.user_client(person.account, email=person.email), "api-integrations", body, **extra
    )
    return status, answer


def until_done(stack: StackHandle, person: Person, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page of a resumable action (export_my_data, delete_my_data)."""
    pages: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        status, answer = call_api(stack, person, {**body, **({"cursor": cursor} if cursor else {})})
        assert status == 200, answer
        pages.append(answer)
        if answer["done"]:
            return pages
        cursor = answer["next_cursor"]
    raise AssertionError("the action never finished")


def build_world(stack: StackHandle) -> None:
    """The deliveries and sign-ups described in the module docstring."""
    answers = [
        deliver(stack, "push", push(ADA, [(ADA, "a1" * 20, "Ada's loom"), (ADA, "a2" * 20, "Ada's notes")]), "d-ada-1"),
        deliver(stack, "pull_request", pull_request(ADA), "d-ada-pr"),
        deliver(
            stack,
            "push",
            push(
                BOB,
                [
                    (BOB, "b1" * 20, "Bob's engine"),
                    (ADA, "a3" * 20, "Ada's fix\n\nCo-authored-by: Ada Lovelace <ada@example.org>"),
                ],
            ),
            "d-bob-1",
        ),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
    for person in (ADA, BOB):
        status, body = call_api(stack, person, {"action": "link_github_account", "github_token": person.token})
        assert status == 200, body


def run_leaderboards(stack: StackHandle) -> dict[str, Any]:
    status, answer, _ = execute(stack, stack.client(), "leaderboard-updater", {})
    assert status == 200, answer
    result: dict[str, Any] = answer
    return result


def everything(stack: StackHandle) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, read with the project key."""
    store = AppwriteStore(stack.client())
    tables = json.loads((ROOT / "appwrite.json").read_text(encoding="utf-8"))["tables"]
    return {t["$id"]: list(store.iterate(t["$id"], [Query.limit(100)])) for t in tables}


@contextlib.contextmanager
def restored_environment() -> Iterator[None]:
    """The local stack writes its function environment into this process's (shared by every stack the tests
    start): put it back, so this module's settings (small rate limits, rotation) do not leak into the next."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class RealtimeRecorder:
    """Every frame a signed-in person's realtime socket receives, on its own thread and event loop."""

    def __init__(self, stack: StackHandle, jwt: str, channels: list[str]) -> None:
        self.url = f"ws://127.0.0.1:{stack.stack.config.port}/v1/realtime?project={stack.project_id}&jwt={jwt}"
        self.channels = channels
        self.frames: list[str] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RealtimeRecorder:
        self._thread.start()
        assert self._ready.wait(10), "realtime did not connect"
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        import asyncio

        import websockets

        async def listen() -> None:
            async with websockets.connect(self.url) as ws:
                self.frames.append(str(await ws.recv()))
                subscribe = {"type": "subscribe", "data": [{"subscriptionId": "s1", "channels": self.channels}]}
                await ws.send(json.dumps(subscribe))
                self._ready.set()
                while not self._stop.is_set():
                    try:
                        self.frames.append(str(await asyncio.wait_for(ws.recv(), 0.2)))
                    except TimeoutError:
                        continue

        asyncio.run(listen())
