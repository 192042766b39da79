"""salesops-warehouse Dagster code location: ingest -> dbt -> quality -> publish."""

from pathlib import Path

# The checkout: dbt_project/, models/, dagster.yaml and the default home var/ live here.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
