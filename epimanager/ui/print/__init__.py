"""Printing (Qt print dialog or PDF): every table — reports, query lists, the 通知单 — through the one
table printer (``layout`` plans without Qt, ``table_printer`` paints, ``tables`` says what is printed);
the child's vaccination record and today's receipt (``documents``)."""
