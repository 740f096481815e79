"""The sync engine: what is due (planner), per-object syncs, jobs and forced syncs."""
