"""数据清理, one module per job: :mod:`.duplicates` (probable duplicate children),
:mod:`.merge` (merging two records and undoing it), :mod:`.quality` (the data-quality report)."""
