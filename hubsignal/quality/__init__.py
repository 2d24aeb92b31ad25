"""Data quality: tier-1 load rules, quarantine bookkeeping, great_expectations suites, freshness."""
