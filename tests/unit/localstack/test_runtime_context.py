"""The in-process function runtime gives ``main(context)`` what Appwrite's Python runtime (open-runtimes) gives."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecotrace_local.runtime.context import Request, Response, parse_query
from ecotrace_local.runtime.runner import FunctionRuntime, Invocation, import_entrypoint
from ecotrace_local.runtime.specs import FunctionSpec, load_specs, source_dir


def test_request_exposes_raw_bytes_text_json_and_lower_case_headers() -> None:
    req = Request(
        body_binary=b'{"a": 1}',
        headers={"Content-Type": "application/json", "X-GitHub-Event": "push"},
        method="post",
        path="/hook",
        query_string="x=1&y=a=b&flag",
        host="example.test",
        port=8080,
    )
    assert req.body_binary == b'{"a": 1}'
    assert req.body_text == '{"a": 1}'
    assert req.body_json == {"a": 1}
    assert req.body == {"a": 1}
    assert req.headers == {"content-type": "application/json", "x-github-event": "push"}
    assert req.method == "POST"
    assert req.query == {"x": "1", "y": "a=b", "flag": ""}
    assert req.url == "http://example.test:8080/hook?x=1&y=a=b&flag"


@pytest.mark.parametrize("body", [b"", b"not json", b"{"])
def test_body_json_raises_on_empty_or_invalid_body(body: bytes) -> None:
    with pytest.raises(ValueError):
        _ = Request(body_binary=body).body_json


def test_legacy_body_is_text_unless_json_and_empty_json_is_an_empty_object() -> None:
    assert Request(body_binary=b"hi").body == "hi"
    assert Request(body_binary=b"", headers={"content-type": "application/json"}).body == {}


def test_default_port_is_left_out_of_the_url() -> None:
    assert Request(scheme="https", host="h", port=443, path="/p").url == "https://h/p"


def test_response_builders_return_plain_dicts_and_never_share_header_dicts() -> None:
    res = Response()
    shared: dict[str, str] = {"x-a": "1"}
    as_json = res.json({"ok": True}, statusCode=201, headers=shared)
    assert as_json == {
        "body": b'{"ok":true}',
        "statusCode": 201,
        "headers": {"x-a": "1", "content-type": "application/json"},
    }
    assert shared == {"x-a": "1"}
    assert res.text("hé") == {"body": "hé".encode(), "statusCode": 200, "headers": {}}
    assert res.binary(b"\x00\xff")["body"] == b"\x00\xff"
    assert res.empty() == {"body": b"", "statusCode": 204, "headers": {}}
    assert res.redirect("https://x.test") == {"body": b"", "statusCode": 301, "headers": {"location": "https://x.test"}}
    assert res.send("raw", 202)["statusCode"] == 202
    assert res.json([])["headers"] == {"content-type": "application/json"}  # no leak from the earlier call


@given(
    st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True),
        st.from_regex(r"[a-z0-9]{0,8}", fullmatch=True),
        max_size=5,
    )
)
def test_query_parsing_round_trips_simple_pairs(pairs: dict[str, str]) -> None:
    query_string = "&".join(f"{k}={v}" for k, v in pairs.items())
    assert parse_query(query_string) == pairs


def _write_function(root: Path, function_id: str, source: str, *, extra: dict[str, str] | None = None) -> None:
    src = root / "functions" / function_id / "src"
    src.mkdir(parents=True, exist_ok=True)
    (src / "main.py").write_text(textwrap.dedent(source), encoding="utf-8")
    for name, text in (extra or {}).items():
        (src / name).write_text(textwrap.dedent(text), encoding="utf-8")


def _spec(function_id: str, timeout_s: int = 5) -> FunctionSpec:
    return FunctionSpec.from_appwrite_json(
        {"$id": function_id, "entrypoint": "src/main.py", "path": f"dist/functions/{function_id}", "timeout": timeout_s}
    )


def test_dist_path_maps_to_the_source_folder_when_it_exists(tmp_path: Path) -> None:
    _write_function(tmp_path, "fn", "def main(context):\n    return context.res.empty()\n")
    assert source_dir(tmp_path, _spec("fn")) == tmp_path / "functions" / "fn"
    assert source_dir(tmp_path, _spec("absent")) == tmp_path / "dist" / "functions" / "absent"


def test_two_functions_with_same_relative_module_names_coexist(tmp_path: Path) -> None:
    for fid, word in (("one", "first"), ("two", "second")):
        _write_function(
            tmp_path,
            fid,
            "from .helper import WORD\n\ndef main(context):\n    return context.res.text(WORD)\n",
            extra={"helper.py": f"WORD = {word!r}\n"},
        )
    first = import_entrypoint("one", tmp_path / "functions" / "one", "src/main.py")
    second = import_entrypoint("two", tmp_path / "functions" / "two", "src/main.py")
    assert first.WORD == "first"
    assert second.WORD == "second"


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[FunctionRuntime]:
    _write_function(
        tmp_path,
        "echo",
        """
        def main(context):
            context.log("got", {"n": len(context.req.body_binary)})
            return context.res.json({"method": context.req.method, "path": context.req.path,
                                     "query": context.req.query, "len": len(context.req.body_binary)},
                                    headers={"X-Custom": "v"})
        """,
    )
    _write_function(tmp_path, "asyncfn", "async def main(context):\n    return context.res.text('async ok', 202)\n")
    _write_function(
        tmp_path, "slow", "import time\n\ndef main(context):\n    time.sleep(3)\n    return context.res.empty()\n"
    )
    _write_function(tmp_path, "boom", "def main(context):\n    raise RuntimeError('kaput')\n")
    _write_function(tmp_path, "noreturn", "def main(context):\n    context.log('hi')\n")
    specs = {fid: _spec(fid, timeout_s=1) for fid in ("echo", "asyncfn", "slow", "boom", "noreturn")}
    rt = FunctionRuntime(tmp_path, specs)
    yield rt
    rt.shutdown()


def test_sync_function_gets_request_and_its_response_is_normalised(runtime: FunctionRuntime) -> None:
    outcome = runtime.run(
        runtime.specs["echo"], Invocation(method="PUT", path="/a/b", query_string="q=1", body=b"\x00\x01")
    )
    assert outcome.status_code == 200
    assert json.loads(outcome.body) == {"method": "PUT", "path": "/a/b", "query": {"q": "1"}, "len": 2}
    assert outcome.headers == {"x-custom": "v", "content-type": "application/json; charset=utf-8"}
    assert outcome.logs == 'got {"n": 2}'
    assert outcome.errors == ""


def test_async_main_is_awaited(runtime: FunctionRuntime) -> None:
    outcome = runtime.run(runtime.specs["asyncfn"], Invocation())
    assert (outcome.status_code, outcome.body) == (202, b"async ok")
    assert outcome.headers["content-type"] == "text/plain; charset=utf-8"


def test_timeout_answers_500_without_waiting_for_the_function(runtime: FunctionRuntime) -> None:
    outcome = runtime.run(runtime.specs["slow"], Invocation(), wait_s=0.2)
    assert outcome.timed_out
    assert outcome.status_code == 500
    assert "Execution timed out." in outcome.errors


def test_exception_is_reported_with_its_traceback(runtime: FunctionRuntime) -> None:
    outcome = runtime.run(runtime.specs["boom"], Invocation())
    assert outcome.status_code == 500
    assert "RuntimeError: kaput" in outcome.errors


def test_missing_return_is_a_500_with_the_runtime_message(runtime: FunctionRuntime) -> None:
    outcome = runtime.run(runtime.specs["noreturn"], Invocation())
    assert outcome.status_code == 500
    assert outcome.logs == "hi"
    assert "Return statement missing" in outcome.errors


def test_specs_come_from_appwrite_json() -> None:
    specs = load_specs(
        {
            "functions": [
                {
                    "$id": "f",
                    "timeout": 30,
                    "execute": ["users"],
                    "events": ["e"],
                    "schedule": "0 * * * *",
                    "scopes": ["rows.read"],
                    "path": "dist/functions/f",
                    "entrypoint": "src/main.py",
                }
            ]
        }
    )
    assert specs["f"].timeout_s == 30
    assert specs["f"].execute == ("users",)
    assert specs["f"].schedule == "0 * * * *"


def test_edited_source_is_reloaded_on_the_next_call(tmp_path: Path) -> None:
    _write_function(tmp_path, "live", "def main(context):\n    return context.res.text('v1')\n")
    rt = FunctionRuntime(tmp_path, {"live": _spec("live")})
    assert rt.run(rt.specs["live"], Invocation()).body == b"v1"
    main_py = tmp_path / "functions" / "live" / "src" / "main.py"
    main_py.write_text("def main(context):\n    return context.res.text('v2')\n", encoding="utf-8")
    stat = main_py.stat()
    os.utime(main_py, (stat.st_atime, stat.st_mtime + 5))
    assert rt.run(rt.specs["live"], Invocation()).body == b"v2"


def test_when_every_slot_is_held_by_a_stuck_function_the_next_call_times_out(tmp_path: Path) -> None:
    _write_function(
        tmp_path, "stuck", "import time\n\ndef main(context):\n    time.sleep(2)\n    return context.res.empty()\n"
    )
    _write_function(tmp_path, "quick", "def main(context):\n    return context.res.empty()\n")
    rt = FunctionRuntime(tmp_path, {"stuck": _spec("stuck", 1), "quick": _spec("quick", 1)}, max_concurrent=1)
    assert rt.run(rt.specs["stuck"], Invocation(), wait_s=0.2).timed_out
    blocked = rt.run(rt.specs["quick"], Invocation(), wait_s=0.2)
    assert blocked.timed_out
    assert blocked.status_code == 500


def test_the_function_sees_the_runtime_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MY_VAR", "APPWRITE_FUNCTION_ID", "APPWRITE_FUNCTION_NAME"):
        monkeypatch.setenv(name, "before")  # restored after the test
    source = """
        import os

        def main(context):
            return context.res.text(os.environ["APPWRITE_FUNCTION_ID"] + ":" + os.environ["MY_VAR"])
    """
    _write_function(tmp_path, "env", source)
    rt = FunctionRuntime(tmp_path, {"env": _spec("env")}, env={"MY_VAR": "x"})
    assert rt.run(rt.specs["env"], Invocation()).body == b"env:x"
