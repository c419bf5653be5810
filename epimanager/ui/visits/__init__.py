"""The clinic flow: the desk's queue panel, desk choice and keys; the calling screen, 留观 board, tickets and
day summary."""
