"""HTTP client of the platform: ``requests.Session``, TLS verified, retries with backoff and jitter.

Transient failures (timeouts, dropped connections, 408/425/429/5xx, a reply
that is not JSON) are retried up to :class:`RetryPolicy` bounds, honouring
``Retry-After``; each try also has a total deadline (a server that drips its
reply byte by byte is cut off).  401/403 raise :class:`PlatformAuthError` at
once; a redirect raises :class:`PlatformRedirect` (never followed: the
clinic's records go to the configured address or nowhere); a reply that is
not the protocol (404/405, an HTML error page, JSON of another shape) raises
:class:`PlatformProtocolError`; other 4xx raise :class:`PlatformRefused` (not
retried: the same request would fail again).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from epimanager import __version__
from epimanager.domain.platform_protocol import ACCEPTED, BATCHES, IDEMPOTENCY_HEADER, PING, REJECTED, STALE
from epimanager.errors import EpiError, PermissionDenied
from epimanager.services.platform import LOOPBACK, check_url
from epimanager.sync.deadline import Deadline

TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class PlatformAuthError(PermissionDenied):
    """The platform refused the unit's token (401/403)."""


class PlatformUnavailable(EpiError):
    """The platform could not be reached (after retrying)."""

    exit_code = 6


class PlatformRedirect(PlatformUnavailable):
    """The platform answered with a redirect (3xx): never followed, nothing sent elsewhere."""


class PlatformProtocolError(PlatformUnavailable):
    """The reply is not the protocol (wrong address, a proxy's page): records stay waiting."""


_CONNECTION_PROBLEMS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)

#: The per-record answers the protocol knows; any other word leaves the record waiting.
RESULT_STATUSES = frozenset({ACCEPTED, REJECTED, STALE})


class PlatformRefused(EpiError):
    """The platform refused a request for good (4xx other than auth)."""

    exit_code = 7

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, bounded by attempts and by elapsed time."""

    max_attempts: int = 8
    base: float = 0.5
    cap: float = 30.0
    max_elapsed: float = 300.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed ``attempt`` (1-based): base·2^(n-1), capped, jittered to 50–100 %."""
        d = min(self.cap, self.base * 2 ** (attempt - 1)) * self.rng.uniform(0.5, 1.0)
        if retry_after is not None:
            d = max(d, min(retry_after, self.cap))
        return d


def _retry_after(resp: requests.Response) -> float | None:
    v = resp.headers.get("Retry-After")
    try:
        return float(v) if v else None
    except ValueError:
        return None


class PlatformClient:
    """One unit's connection to the platform."""

    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        timeout: tuple[float, float] = (5.0, 60.0),
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float = 120.0,
    ) -> None:
        self.url = check_url(url)
        self.token = token
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        #: seconds one try of a request may take in all (connect, send, the whole reply)
        self.deadline = deadline
        self.session = session or requests.Session()
        self._deadline = Deadline()
        self._deadline.mount(self.session)
        self.session.headers["User-Agent"] = f"EpiManager/{__version__}"
        if urlsplit(self.url).hostname in LOOPBACK:
            self.session.trust_env = False  # never send loopback traffic through a proxy
        #: requests made, for progress displays and benchmarks
        self.requests_made = 0
        self.retries = 0

    def close(self) -> None:
        self.session.close()

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        h = {"Accept": "application/json"}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        return h | (extra or {})

    def request_json(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        retry: bool = True,
    ) -> Any:
        """Send a request and return the decoded JSON reply, retrying transient failures."""
        h = self._headers(headers)
        if body is not None:
            h["Content-Type"] = "application/json; charset=utf-8"
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            retry_after: float | None = None
            self.requests_made += 1
            budget = max(0.5, min(self.deadline, self.policy.max_elapsed - (time.monotonic() - started)))
            try:
                with self._deadline.limit(budget):
                    resp = self.session.request(
                        method,
                        self.url + path,
                        params=params,
                        data=body,
                        headers=h,
                        timeout=self.timeout,
                        verify=True,
                        allow_redirects=False,
                    )
            except requests.RequestException as exc:
                if self._deadline.expired:
                    problem = f"平台在 {budget:.0f} 秒内没有回复完（回复过慢，已中断）"
                elif isinstance(exc, requests.exceptions.SSLError):
                    raise PlatformUnavailable(f"平台证书校验失败，已停止连接（{self.url}）：{exc}") from None
                elif isinstance(exc, _CONNECTION_PROBLEMS):
                    problem = f"连接失败（{type(exc).__name__}）"
                else:
                    raise
            else:
                if resp.status_code in (401, 403):
                    raise PlatformAuthError(
                        f"平台拒绝了本单位的令牌（HTTP {resp.status_code}），本次没有任何记录被标记为已上传；"
                        "请设置正确的令牌",
                        fix="platform",
                    )
                if 300 <= resp.status_code < 400:
                    where = resp.headers.get("Location") or "未说明地址"
                    what = "未上传任何记录" if method == "POST" else "未跟随"
                    raise PlatformRedirect(
                        f"平台返回了重定向（HTTP {resp.status_code}，指向 {where[:200]}），{what}；请核对平台地址",
                        fix="platform",
                    )
                if resp.status_code in TRANSIENT_STATUS:
                    problem = f"平台暂时不可用（HTTP {resp.status_code}）"
                    retry_after = _retry_after(resp)
                elif resp.status_code >= 400:
                    if resp.status_code in (404, 405) or not _is_json(resp):
                        kept = "记录仍待上传" if method == "POST" else "本次请求未完成"
                        raise PlatformProtocolError(
                            f"平台的回复不符合协议（HTTP {resp.status_code}），{kept}；请核对平台地址 {self.url}"
                        )
                    raise PlatformRefused(
                        f"平台拒绝了请求（HTTP {resp.status_code}）：{_message(resp)}", resp.status_code
                    )
                else:
                    try:
                        return resp.json()
                    except ValueError:
                        problem = "平台的回复不完整"
            if not retry:
                raise PlatformUnavailable(f"无法连接平台 {self.url}：{problem}")
            wait = self.policy.delay(attempt, retry_after)
            elapsed = time.monotonic() - started
            if attempt >= self.policy.max_attempts or elapsed + wait > self.policy.max_elapsed:
                raise PlatformUnavailable(
                    f"无法连接平台 {self.url}：{problem}，已重试 {attempt} 次；未完成的记录下次上传时继续"
                )
            self.retries += 1
            self.sleep(wait)

    def post_batch(self, key: str, body: bytes) -> dict[str, Any]:
        """POST one batch; the reply is checked against the protocol (``{"results": [...]}``)."""
        reply = self.request_json("POST", BATCHES, body=body, headers={IDEMPOTENCY_HEADER: key})
        if not isinstance(reply, dict) or not isinstance(reply.get("results"), list):
            raise PlatformProtocolError(
                f"平台的回复不符合协议（缺少 results 列表），本批记录仍待上传；请核对平台地址 {self.url}"
            )
        return reply

    def ping(self, timeout: float = 3.0) -> bool:
        """Is the platform reachable right now?  (One quick try, no retries.)"""
        try:
            with self._deadline.limit(timeout):
                resp = self.session.get(self.url + PING, timeout=timeout, verify=True, allow_redirects=False)
        except requests.RequestException:
            return False
        return resp.status_code == 200


def _is_json(resp: requests.Response) -> bool:
    try:
        resp.json()
    except ValueError:
        return False
    return True


def _message(resp: requests.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(data, dict):
        return str(data.get("message") or data.get("error") or data)
    return str(data)[:200]
