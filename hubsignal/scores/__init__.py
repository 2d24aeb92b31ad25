"""Benchmark sources: LiveBench leaderboard snapshots (and legacy benchmark scores)."""
