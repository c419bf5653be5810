"""Upload the outbox: resume unanswered batches, then claim, send and acknowledge batch after batch.

Per batch: claim (commit) → POST with its Idempotency-Key (retried with
backoff) → apply the per-record answers (commit).  A kill at any point loses
nothing: the next run resends the unanswered batch with the same key and the
platform answers from its stored reply.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from epimanager.errors import EpiError, ValidationError
from epimanager.services import permissions
from epimanager.store.database import Database
from epimanager.sync import queue
from epimanager.sync.client import PlatformClient, PlatformRefused, RetryPolicy
from epimanager.sync.config import SyncSettings, load_settings

#: ``progress(done, total)`` — records answered so far, records waiting at the start
Progress = Callable[[int, int], None]

#: Sends of one record the platform leaves unanswered before a run stops sending it (backing
#: off between them); a later run tries it once more.
MAX_UNANSWERED = 5

#: One upload at a time per process (the GUI action and the automatic uploader share it).
_UPLOAD_LOCK = threading.Lock()


@dataclass(frozen=True)
class UploadReport:
    batches: int
    accepted: int
    stale: int
    rejected: int
    remaining: int
    seconds: float
    requests: int
    retries: int
    #: records the platform left unanswered :data:`MAX_UNANSWERED` times (still waiting)
    unanswered: int = 0

    @property
    def sent(self) -> int:
        return self.accepted + self.stale

    def to_json(self) -> dict[str, Any]:
        return {
            "batches": self.batches,
            "accepted": self.accepted,
            "stale": self.stale,
            "rejected": self.rejected,
            "remaining": self.remaining,
            "seconds": round(self.seconds, 3),
            "requests": self.requests,
            "retries": self.retries,
            "unanswered": self.unanswered,
        }

    def summary(self) -> str:
        s = f"已上传 {self.sent} 条，被拒 {self.rejected} 条，剩余 {self.remaining} 条（{self.seconds:.1f} 秒）"
        if self.rejected:
            s += "；被拒记录见 epimanager sync rejected"
        if self.unanswered:
            s += (
                f"；平台连续 {MAX_UNANSWERED} 次未答复其中 {self.unanswered} 条记录，已停止重发"
                "（记录仍待上传，下次上传时再试；如持续出现请联系平台管理员）"
            )
        return s

    @property
    def complete(self) -> bool:
        """Every record answered and none rejected."""
        return not self.rejected and not self.unanswered


def make_client(
    db: Database,
    *,
    url: str | None = None,
    token: str | None = None,
    policy: RetryPolicy | None = None,
    timeout: tuple[float, float] = (5.0, 60.0),
    settings: SyncSettings | None = None,
) -> PlatformClient:
    st = settings or load_settings(db)
    u = url or st.url
    if url and url.strip().rstrip("/") != (st.url or ""):
        # sending the clinic's records to another address is the same decision as configuring it
        permissions.check(db, "change_unit_config")
    if not u:
        raise ValidationError("尚未设置平台地址和令牌", fix="platform")
    return PlatformClient(u, token if token is not None else st.token, policy=policy, timeout=timeout)


def upload(
    db: Database,
    *,
    url: str | None = None,
    token: str | None = None,
    batch_size: int | None = None,
    policy: RetryPolicy | None = None,
    timeout: tuple[float, float] = (5.0, 60.0),
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    client: PlatformClient | None = None,
) -> UploadReport:
    """Send every waiting record; returns counts.  Raises PlatformAuthError / PlatformUnavailable."""
    settings = load_settings(db)
    size = batch_size or settings.batch_size
    own = db.own_unit_code()
    own_client = client is None
    cl = client or make_client(db, url=url, token=token, policy=policy, timeout=timeout, settings=settings)
    started = time.monotonic()
    accepted = stale = rejected = batches = 0
    with _UPLOAD_LOCK:
        try:
            queue.heal_orphans(db)
            queue.one_more_try(db, MAX_UNANSWERED)
            total = queue.count_waiting(db)
            done = 0
            unanswered_rounds = 0
            if progress:
                progress(0, total)

            def send(batch: queue.Batch) -> None:
                nonlocal accepted, stale, rejected, batches, done, unanswered_rounds
                try:
                    reply = cl.post_batch(batch.key, batch.body)
                except PlatformRefused as exc:
                    rejected += queue.reject_batch(db, batch.key, exc.message)
                else:
                    counts = queue.ack(db, batch.key, reply["results"])
                    accepted += counts.accepted
                    stale += counts.stale
                    rejected += counts.rejected
                    if counts.unanswered and queue.count_unanswered(db, 1, below=MAX_UNANSWERED):
                        # the platform skipped records that will be sent again: back off first
                        unanswered_rounds += 1
                        wait = cl.policy.delay(unanswered_rounds)
                        if stop is not None:
                            stop.wait(wait)
                        else:
                            cl.sleep(wait)
                batches += 1
                done += batch.records
                if progress:
                    progress(min(done, total), total)

            for batch in queue.unfinished_batches(db):
                if stop is not None and stop.is_set():
                    break
                send(batch)
            while stop is None or not stop.is_set():
                claimed = queue.claim(db, own, size, max_attempts=MAX_UNANSWERED)
                if claimed is None:
                    break
                if claimed.records:
                    send(claimed)
            queue.note_error(db, None)
        except EpiError as exc:
            queue.note_error(db, exc.message)
            raise
        finally:
            if own_client:
                cl.close()
    return UploadReport(
        batches=batches,
        accepted=accepted,
        stale=stale,
        rejected=rejected,
        remaining=queue.count_waiting(db),
        seconds=time.monotonic() - started,
        requests=cl.requests_made,
        retries=cl.retries,
        unanswered=queue.count_unanswered(db, MAX_UNANSWERED),
    )
