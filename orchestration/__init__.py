"""salesops-warehouse Dagster code location: ingest -> dbt -> quality -> publish."""
