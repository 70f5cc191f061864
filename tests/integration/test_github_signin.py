"""Sign in with GitHub on the local stack, with no GitHub account: Appwrite's OAuth2 redirect flow against the
local GitHub stand-in, and ``link_github_account`` asking the same stand-in (``make dev``'s defaults)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ecotrace_local.http.github_standin import DEMO_ACCOUNTS
from ecotrace_local.testing import StackHandle, run_stack
from tests.integration.project_stack import ROOT

PROJECT = {"x-appwrite-project": "ecotrace"}
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    db = tmp_path_factory.mktemp("github-signin") / "db.sqlite3"
    with run_stack(ROOT, db_path=db, env={"ECOTRACE_RUN_SCHEDULES": "0"}, dev_defaults=True) as handle:
        yield handle


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def github_dance(
    browser: httpx.Client, start: str, login: str | None, *, success: str = "/?github=linked", failure: str = "/fail"
) -> httpx.Response:
    """What a browser does from ``createOAuth2Session``/``Token``'s URL to the app's page, choosing ``login`` on
    the stand-in's authorize page (None: Cancel). Returns the last answer (a redirect to the app)."""
    base = str(browser.base_url).rstrip("/")
    first = browser.get(start, params={"success": base + success, "failure": base + failure, "project": "ecotrace"})
    assert first.status_code == 301, first.text
    page = browser.get(first.headers["location"])
    assert page.status_code == 200
    assert all(f'data-login="{a.login}"' in page.text for a in DEMO_ACCOUNTS)
    choice = {"cancel": "1"} if login is None else {"login": login}
    picked = browser.post("/_github/login/oauth/authorize", data={**query_of(first.headers["location"]), **choice})
    assert picked.status_code == 302
    callback = browser.get(picked.headers["location"])
    assert callback.status_code == 301
    return browser.get(callback.headers["location"])


def browser_for(stack: StackHandle) -> httpx.Client:
    return httpx.Client(base_url=stack.base_url, timeout=30)


def execute(client: httpx.Client, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = client.post(
        "/v1/functions/api-integrations/executions", headers=PROJECT, json={"body": json.dumps(body)}
    )
    assert response.status_code == 201, response.text
    execution = response.json()
    return int(execution["responseStatusCode"]), json.loads(execution["responseBody"])


def test_sign_in_with_github_creates_the_user_and_a_session_carrying_the_token(stack: StackHandle) -> None:
    with browser_for(stack) as browser:
        landed = github_dance(browser, "/v1/account/sessions/oauth2/github", "octocat")
        assert landed.status_code == 301
        assert landed.headers["location"] == f"{stack.base_url}/?github=linked"
        assert [c.split("=")[0] for c in landed.headers.get_list("set-cookie")] == [
            "a_session_ecotrace_legacy", "a_session_ecotrace",
        ]  # fmt: skip
        me = browser.get("/v1/account", headers=PROJECT).json()
        assert (me["email"], me["name"], me["emailVerification"]) == ("octocat@example.com", "The Octocat", True)
        session = browser.get("/v1/account/sessions/current", headers=PROJECT).json()
        assert (session["provider"], session["providerUid"], session["factors"]) == (
            "github",
            "583231",
            ["email", "oauth2"],
        )
        assert session["providerAccessToken"].startswith("gho_")
        again = github_dance(browser_for(stack), "/v1/account/sessions/oauth2/github", "octocat")
        assert again.status_code == 301  # signing in again finds the same user through the identity
    with browser_for(stack) as other:
        github_dance(other, "/v1/account/sessions/oauth2/github", "octocat")
        assert other.get("/v1/account", headers=PROJECT).json()["$id"] == me["$id"]


def test_an_email_user_links_github_and_the_sign_up_link_uses_the_same_stand_in(stack: StackHandle) -> None:
    with browser_for(stack) as browser:
        created = browser.post(
            "/v1/account",
            headers=PROJECT,
            json={"userId": "unique()", "email": "ada@example.com", "password": PASSWORD},
        ).json()
        browser.post(
            "/v1/account/sessions/email", headers=PROJECT, json={"email": "ada@example.com", "password": PASSWORD}
        )
        github_dance(browser, "/v1/account/sessions/oauth2/github", "Codertocat")
        session = browser.get("/v1/account/sessions/current", headers=PROJECT).json()
        assert (session["userId"], session["provider"]) == (created["$id"], "github")
        identities = browser.get("/v1/account/identities", headers=PROJECT).json()
        assert [(i["provider"], i["providerUid"]) for i in identities["identities"]] == [("github", "21031067")]
        status, linked = execute(
            browser, {"action": "link_github_account", "github_token": session["providerAccessToken"]}
        )
        assert status == 200, linked
        assert (linked["user_id"], linked["github_login"]) == ("gh_21031067", "Codertocat")
        status, refused = execute(browser, {"action": "link_github_account", "github_token": "gho_not-a-real-one"})
        assert status == 401, refused


def test_a_github_account_linked_to_someone_else_cannot_be_linked_again(stack: StackHandle) -> None:
    github_dance(browser_for(stack), "/v1/account/sessions/oauth2/github", "monalisa")
    with browser_for(stack) as browser:
        browser.post(
            "/v1/account",
            headers=PROJECT,
            json={"userId": "unique()", "email": "bea@example.com", "password": PASSWORD},
        )
        browser.post(
            "/v1/account/sessions/email", headers=PROJECT, json={"email": "bea@example.com", "password": PASSWORD}
        )
        landed = github_dance(browser, "/v1/account/sessions/oauth2/github", "monalisa")
        assert urlsplit(landed.headers["location"]).path == "/fail"
        error = json.loads(query_of(landed.headers["location"])["error"])
        assert (error["type"], error["code"]) == ("user_already_exists", 409)


def test_the_token_flow_gives_a_one_time_secret_for_create_session(stack: StackHandle) -> None:
    with browser_for(stack) as browser:
        landed = github_dance(browser, "/v1/account/tokens/oauth2/github", "octocat", success="/done")
        assert "set-cookie" not in landed.headers
        token = query_of(landed.headers["location"])
        assert set(token) == {"secret", "userId"}
    session = httpx.post(f"{stack.endpoint}/account/sessions/token", headers=PROJECT, json=token)
    assert (session.status_code, session.json()["provider"]) == (201, "github")
    assert session.json()["providerAccessToken"].startswith("gho_")
    reused = httpx.post(f"{stack.endpoint}/account/sessions/token", headers=PROJECT, json=token)
    assert (reused.status_code, reused.json()["type"]) == (401, "user_invalid_token")


def test_cancelling_on_github_lands_on_the_failure_url_with_the_error(stack: StackHandle) -> None:
    landed = github_dance(browser_for(stack), "/v1/account/sessions/oauth2/github", None)
    assert urlsplit(landed.headers["location"]).path == "/fail"
    error = json.loads(query_of(landed.headers["location"])["error"])
    assert error["type"] == "user_oauth2_provider_error"
    assert "access_denied" in error["message"]


@pytest.mark.parametrize(
    ("path", "params", "status", "kind"),
    [
        ("/v1/account/sessions/oauth2/google", {}, 412, "project_provider_disabled"),
        ("/v1/account/sessions/oauth2/github", {"success": "https://evil.example/"}, 400, "general_argument_invalid"),
    ],
)
def test_refused_starts(stack: StackHandle, path: str, params: dict[str, str], status: int, kind: str) -> None:
    response = httpx.get(stack.base_url + path, params={**params, "project": "ecotrace"})
    assert (response.status_code, response.json()["type"]) == (status, kind)


def test_the_stand_in_refuses_unknown_tokens_codes_and_callbacks(stack: StackHandle) -> None:
    api = f"{stack.base_url}/_github/api/v3"
    assert httpx.get(f"{api}/user", headers={"authorization": "token gho_nope"}).status_code == 401
    bad_code = httpx.post(
        f"{stack.base_url}/_github/login/oauth/access_token",
        data={"client_id": "ecotrace-local", "client_secret": "ecotrace-local-github-secret", "code": "nope"},
        headers={"accept": "application/json"},
    ).json()
    assert bad_code["error"] == "bad_verification_code"
    elsewhere = httpx.get(
        f"{stack.base_url}/_github/login/oauth/authorize",
        params={
            "client_id": "ecotrace-local",
            "redirect_uri": "https://evil.example/v1/account/sessions/oauth2/callback/github/x",
        },
    )
    assert elsewhere.status_code == 400
