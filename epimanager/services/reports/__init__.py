"""Monthly statutory reports, one module each: :mod:`.report_6_1` (表6-1, with its stored rows in
:mod:`.report_6_1_state`), :mod:`.report_6_2` (表6-2), :mod:`.consumption` (疫苗消耗日志),
:mod:`.cases` (个案统计分析月报); :mod:`.runs` generates and stores them, :mod:`.export` writes
them as CSV or xlsx, :mod:`.common` holds what they share.

Each report is computed from the database and returned as its JSON shape.
"""
