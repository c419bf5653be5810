"""The clinic-flow screens: calling screen, 留观 board, tickets, day summary (and the desk panels)."""
