"""Handlers of ``epimanager stock`` sub-commands (the parser is built in ``cli/commands/stock.py``).

- :mod:`.products` — ``product add|set|list``
- :mod:`.movements` — ``receive``, ``issue``, ``waste``, ``count``, ``expire-open-vials``
- :mod:`.reports` — ``report``, ``on-hand``, ``movements``, ``alerts``
- :mod:`.lookup` — ``propose``, ``scan``
"""
