"""Sync with the national immunization platform (issue 10).

- :mod:`.outbox` — change capture: every insert/update/soft-delete of a child
  or dose adds (or refreshes) an outbox row in the same transaction.
- :mod:`.protocol` and :mod:`.mapping` — the versioned HTTP+JSON protocol
  (``docs/platform-protocol.md``) and the platform field names (chil_*/inoc_*).
- :mod:`.client` — upload (batches, idempotency keys, backoff, resume),
  status, the rejected list, lookup/download.
- :mod:`.auto` — a Qt-free background uploader for the GUI.

Keep this module light: :mod:`epimanager.store.database` imports
:mod:`.outbox` at start-up.
"""
