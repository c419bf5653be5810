"""A reference national-platform server (protocol v1) for tests and training.

``epimanager platform-sim --port P --store PATH`` serves on 127.0.0.1 only.
It validates records, upserts them by UUID keeping the highest version, keeps
the reply of every ``Idempotency-Key`` and can inject faults (errors, dropped
connections, lost replies, delays).  It is *not* the real platform, whose
protocol is not public.
"""
