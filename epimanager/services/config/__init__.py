"""配置工具, one module per job: :mod:`.unit_codes` (the yearly unit-code lists),
:mod:`.unit` (the unit and its 区域划分), :mod:`.folders`, :mod:`.platform` (the platform account),
:mod:`.takeover` (an earlier installation's data folder), :mod:`.record` (``show_config``),
:mod:`.visit_flow` (the clinic flow's enabled steps and timings) and :mod:`.common`.

It sets the unit (from the yearly unit-code list), 区域划分, folders, the platform account,
and takes over an earlier installation's data folder.

Settings live in the database's ``app_config``:

- ``own_unit_code`` (shared with :mod:`epimanager.services.units`), ``config.unit_code_year``
- ``config.backup_dir``, ``config.install_root`` (development installs)
- ``sync.url`` / ``sync.token`` (shared with :mod:`epimanager.sync.config`), ``platform.user``
- ``visit.steps``, ``visit.call_timeout_minutes``, ``visit.max_misses``, ``visit.observe_minutes``

The data folder itself cannot live inside the database: :func:`.folders.move_data_dir` records it in
``location.json`` in the user config folder (``EPIMANAGER_CONFIG_DIR`` overrides), read by
:func:`configured_data_dir`.  Secrets (the token) are never returned unmasked by
:func:`.record.show_config`.
"""
