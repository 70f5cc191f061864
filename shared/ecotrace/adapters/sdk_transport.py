"""The HTTP transport under the Appwrite Python SDK: every request bounded, and cheap.

The SDK sends every request through the module-level ``requests.request`` with no timeout, so a hung Appwrite
would hang the function until Appwrite kills it. :func:`bound_sdk_requests` swaps the module the SDK calls for
:class:`BoundedRequests`, which always passes a (connect, read) timeout: the one of the calling
``BoundedClient`` (``call_timeout``), else the process default.

It is also the SDK's hot path: a webhook delivery makes 9 Appwrite calls. ``requests.Session.request`` costs
about as much CPU as the rest of the call together (it prepares a ``Request`` and a ``PreparedRequest``, runs the
cookie jar both ways, merges settings and resolves redirects for every call), so the calls the SDK makes, a
JSON body or query parameters with no files and no proxy, go to urllib3 directly (the pool requests itself sits
on: the same connections, timeouts and TLS verification) and come back as a ``requests.Response`` built the way
requests' adapter builds one, which is all the SDK reads. Anything else (multipart uploads, a proxy, cookies,
auth) takes the full ``requests.Session`` path. The environment's proxy and CA bundle settings are read once per
origin and value of those variables instead of on every request (requests reads them per request; ``.netrc`` is
not read, the SDK authenticates with its own headers).
"""

from __future__ import annotations

import contextvars
import os
import threading
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.models import RequestEncodingMixin
from requests.structures import CaseInsensitiveDict
from requests.utils import DEFAULT_CA_BUNDLE_PATH, get_encoding_from_headers, requote_uri, select_proxy

DEFAULT_TIMEOUT_S = (3.05, 10.0)
# What requests reads from the environment for an http(s) call (urllib.request.getproxies_environment, which also
# ignores HTTP_PROXY under CGI's REQUEST_METHOD, and requests' CA bundle variables): the cache key of _environment.
_PROXY_NAMES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
_ENVIRONMENT_NAMES = (
    *_PROXY_NAMES,
    *(name.upper() for name in _PROXY_NAMES),
    "REQUEST_METHOD",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)
_DIRECT_ARGUMENTS = frozenset({"params", "data", "files", "headers", "verify", "allow_redirects", "proxies"})
_REDIRECTS = 30  # requests' DEFAULT_REDIRECT_LIMIT
POOL_SIZE = 32  # kept-alive connections per origin: the concurrent executions of one process

# The bound of the SDK call in progress on this thread/task; BoundedClient.call sets it around each call.
call_timeout: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar(
    "appwrite_call_timeout", default=None
)


def _direct_shape(kwargs: dict[str, Any]) -> bool:
    """The SDK's JSON calls: a str/bytes body or none, no files, nothing requests-only (auth, cookies, hooks)."""
    data = kwargs.get("data")
    return (
        kwargs.keys() <= _DIRECT_ARGUMENTS and not kwargs.get("files") and (not data or isinstance(data, str | bytes))
    )


class _Direct:
    """urllib3 pools (one manager per TLS verification setting), shared by every thread of the process."""

    def __init__(self) -> None:
        self._managers: dict[Any, urllib3.PoolManager] = {}
        self._lock = threading.Lock()

    def _manager(self, verify: bool | str) -> urllib3.PoolManager:
        manager = self._managers.get(verify)
        if manager is None:
            with self._lock:
                manager = self._managers.get(verify)
                if manager is None:
                    if verify is False:
                        tls: dict[str, Any] = {"cert_reqs": "CERT_NONE"}
                    else:  # requests' rules: a directory is ca_cert_dir, a file (or certifi's) ca_certs
                        bundle = DEFAULT_CA_BUNDLE_PATH if verify is True else verify
                        where = "ca_cert_dir" if os.path.isdir(bundle) else "ca_certs"
                        tls = {"cert_reqs": "CERT_REQUIRED", where: bundle}
                    manager = urllib3.PoolManager(num_pools=16, maxsize=POOL_SIZE, block=False, **tls)
                    self._managers[verify] = manager
        return manager

    def send(
        self, method: str, url: str, kwargs: dict[str, Any], timeout: tuple[float, float], verify: bool | str
    ) -> requests.Response:
        params = kwargs.get("params")
        if params:
            encoded = RequestEncodingMixin._encode_params(params)  # type: ignore[attr-defined]  # requests' own rules
            if encoded:
                url = f"{url}{'&' if '?' in url else '?'}{encoded}"
        url = requote_uri(url)
        data = kwargs.get("data")
        body = data.encode("utf-8") if isinstance(data, str) else (data or None)
        headers = {str(k): str(v) for k, v in (kwargs.get("headers") or {}).items()}
        headers.setdefault("Accept-Encoding", "gzip, deflate")
        headers.setdefault("Accept", "*/*")
        follow = kwargs.get("allow_redirects", True)
        retries = urllib3.Retry(
            total=None, connect=0, read=False, status=0, other=0, redirect=_REDIRECTS if follow else False
        )
        answer = self._manager(verify).urlopen(
            method.upper(),
            url,
            body=body,
            headers=headers,
            timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]),
            retries=retries,
            redirect=bool(follow),
            preload_content=True,
            decode_content=True,
        )
        return _response(answer, url)


def _response(answer: urllib3.BaseHTTPResponse, url: str) -> requests.Response:
    """What requests' ``HTTPAdapter.build_response`` makes of a urllib3 answer, its content already read."""
    response = requests.Response()
    response.status_code = answer.status
    response.headers = CaseInsensitiveDict(answer.headers)
    response.encoding = get_encoding_from_headers(response.headers)
    response.reason = answer.reason or ""
    response.url = answer.geturl() or url
    response._content = answer.data
    response._content_consumed = True  # type: ignore[attr-defined]
    return response


class BoundedRequests:
    """Stands in for the ``requests`` module inside ``appwrite.client``: same API, bounded calls."""

    def __init__(self, default_timeout: tuple[float, float]) -> None:
        self.default_timeout = default_timeout
        self._local = threading.local()
        self._environments: dict[tuple[str | None, ...], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._direct = _Direct()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # the environment is read once per origin (_environment), not per request
            self._local.session = session
        return session

    def _environment(self, url: str) -> dict[str, Any]:
        """Proxies and ``verify`` as requests would take them from the environment for ``url``'s origin."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        key = (origin, *(os.environ.get(name) for name in _ENVIRONMENT_NAMES))
        found = self._environments.get(key)
        if found is None:
            reader = requests.Session()  # trust_env on: requests' own rules (NO_PROXY, REQUESTS_CA_BUNDLE, ...)
            found = dict(reader.merge_environment_settings(origin + "/", {}, None, None, None))
            reader.close()
            with self._lock:
                if len(self._environments) > 64:
                    self._environments.clear()
                self._environments[key] = found
        return found

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        timeout = kwargs.pop("timeout", None) or call_timeout.get() or self.default_timeout
        environment = self._environment(url)
        proxies = dict(kwargs.pop("proxies", None) or {})
        for scheme, proxy in environment["proxies"].items():
            proxies.setdefault(scheme, proxy)
        verify = kwargs.pop("verify", True)
        if verify is True and url[:6].lower() == "https:":
            # A CA bundle path costs requests an os.path.isdir per call; plain http never reads it.
            verify = environment["verify"]
        if _direct_shape(kwargs) and select_proxy(url, proxies) is None:
            return self._direct.send(method, url, kwargs, timeout, verify)
        session = self._session()
        return session.request(method=method, url=url, timeout=timeout, proxies=proxies, verify=verify, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(requests, name)


_bounded: BoundedRequests | None = None
_install_lock = threading.Lock()


def bound_sdk_requests(default_timeout: tuple[float, float] = DEFAULT_TIMEOUT_S) -> None:
    """Make every Appwrite SDK request in this process bounded (idempotent); ``default_timeout`` applies to
    clients that carry no timeout of their own."""
    global _bounded
    import appwrite.client as sdk_client

    with _install_lock:
        if _bounded is None:
            _bounded = BoundedRequests(default_timeout)
        _bounded.default_timeout = default_timeout
        sdk_client.requests = _bounded


def ensure_bounded() -> None:
    """Install the bounded transport unless it is (what a new ``BoundedClient`` calls)."""
    if _bounded is None:
        bound_sdk_requests()
