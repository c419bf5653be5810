"""Printing: the child's vaccination record and today's receipt (Qt print dialog or PDF)."""
