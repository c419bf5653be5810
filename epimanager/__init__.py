"""EpiManager — 儿童预防接种信息管理系统 · 接种点客户端."""

__version__ = "0.1.0"

import os as _os

# pypinyin reads single characters here (name search keys), never phrases: without its phrase
# dictionary and the copies it makes of both dictionaries, the same readings (checked for every
# character it knows) cost 33 MB instead of 78 MB in every process that builds search keys.
_os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
_os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
