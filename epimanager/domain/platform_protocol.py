"""The platform protocol, version 1 (see ``docs/platform-protocol.md``).

Shared by the client (:mod:`epimanager.sync.client`) and the reference
platform (:mod:`epimanager.platform_sim`).  Plain JSON over HTTP:

- ``POST /api/v1/batches`` with ``Authorization: Bearer <token>`` and
  ``Idempotency-Key: <key>``; body ``{"protocol": 1, "unit": "…", "records":
  [{"kind", "uuid", "version", "owner_unit", "data"}]}``; reply ``{"results":
  [{"uuid", "version", "status": "accepted"|"rejected"|"stale", "reason"}]}``.
- ``GET /api/v1/children?code=…|id_number=…|name=…&birth_date=…[&mother=…]``.
- ``GET /api/v1/newborns?unit=…&since=N``; ``POST /api/v1/newborns`` (maternity wards).
- ``GET /api/v1/ping`` (no token): reachability.
"""

from __future__ import annotations

from typing import Final

PROTOCOL_VERSION: Final = 1
API: Final = "/api/v1"
BATCHES: Final = f"{API}/batches"
CHILDREN: Final = f"{API}/children"
NEWBORNS: Final = f"{API}/newborns"
PING: Final = f"{API}/ping"

IDEMPOTENCY_HEADER: Final = "Idempotency-Key"

KIND_CHILD: Final = "child"
KIND_DOSE: Final = "dose"
KIND_STATUS: Final = "status"
#: a 疑似预防接种异常反应 case card (issue 19)
KIND_AEFI: Final = "aefi"
KINDS: Final = (KIND_CHILD, KIND_DOSE, KIND_STATUS, KIND_AEFI)

ACCEPTED: Final = "accepted"
REJECTED: Final = "rejected"
STALE: Final = "stale"

#: Most records one batch may carry (the platform answers 413 above it).
MAX_BATCH: Final = 2000
