"""Services: one unit of work per user action; they own sessions and transactions.

The CLI and the GUI call the same services and receive plain dataclasses
(never ORM objects attached to a session).
"""
