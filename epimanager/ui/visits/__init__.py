"""The clinic flow at this desk: the desk's queue panel, the desk choice, the desk's keys."""
