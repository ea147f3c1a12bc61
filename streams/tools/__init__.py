"""Local processes and test harnesses: the local broker, worker processes, bench, soak, fault scenarios, fuzz,
reprocess."""
