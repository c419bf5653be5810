"""Install an upgrade package as one step, roll it back, keep the history; import from the module itself.

- :mod:`.layout` — the install root's layout, ``Target``, the ``current`` pointers, ``UpgradeError``
- :mod:`.verify` — checks before anything changes (package, versions, disk space)
- :mod:`.stage` — unpacking beside the live version, the database backup and migrated copy
- :mod:`.switch` — the atomic switch (``os.replace``), undone step by step on failure
- :mod:`.apply` — ``apply_package``: verify → stage → switch
- :mod:`.rollback` — undo the most recent upgrade
- :mod:`.history` — ``upgrade-history.json``
- :mod:`.database` — the database file during an upgrade (quiesce, copies, migration)
"""
