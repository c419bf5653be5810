"""The query screens (接种明细 / 管理门诊 / 免疫空白 / 个案变更 / 在册变更), one module each,
mirroring ``epimanager/ui/queries/``: :mod:`.common` (pages, rows, shared filters),
:mod:`.doses`, :mod:`.managed`, :mod:`.gap`, :mod:`.changes`, :mod:`.status_changes`,
and :mod:`.export` (csv / xlsx)."""
