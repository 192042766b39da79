"""The dbt layers hold (STYLE.md; issue 10): staging reads sources, intermediate reads staging
and intermediate, marts read intermediate and marts, so that a rule owned by an intermediate
model is the one every mart takes. Read from the dbt manifest, so a new `ref` that crosses a
fence fails here, naming the model and what it read."""

from __future__ import annotations

from orchestration.transform.project import dbt_manifest

# What each layer may read, by the folder under models/ of the node read (seeds: "seed").
ALLOWED = {
    "staging": {"source", "seed"},
    "intermediate": {"staging", "intermediate", "seed"},
    "marts": {"intermediate", "marts", "seed"},
}


def _layer(node: dict) -> str:
    if node["resource_type"] in ("source", "seed"):
        return node["resource_type"]
    return node["original_file_path"].split("/")[1]


def _crossings(manifest: dict) -> list[str]:
    nodes = manifest["nodes"] | manifest["sources"]
    crossings = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        layer = _layer(node)
        for parent in node["depends_on"]["nodes"]:
            read = _layer(nodes[parent])
            if read not in ALLOWED[layer]:
                crossings.append(f"{node['name']} ({layer}) reads {nodes[parent]['name']} ({read})")
    return sorted(crossings)


# The crossings that remain (issue 10 left them for a later change): the list can only
# shrink. Conversion to the reporting currency still happens in staging (a join with the fx
# rates); the marts below still read a staging table that has no intermediate model yet.
REMAINING_CROSSINGS = [
    "dim_commission_plan_periods (marts) reads stg_comp__comp_plan_versions (staging)",
    "dim_commission_plan_periods (marts) reads stg_comp__comp_plans (staging)",
    "dim_commission_plan_periods (marts) reads stg_hr__employees (staging)",
    "dim_territory (marts) reads stg_crm__territories (staging)",
    "fct_commission_reconciliation (marts) reads stg_comp__commission_payouts (staging)",
    "fct_forecast_accuracy (marts) reads stg_crm__forecast_submissions (staging)",
    "fct_lead_funnel (marts) reads stg_crm__leads (staging)",
    "fct_rep_turnover (marts) reads stg_hr__employee_versions (staging)",
    "fct_territory_coverage (marts) reads stg_crm__territories (staging)",
    "stg_comp__commission_payouts (staging) reads stg_comp__fx_rates (staging)",
    "stg_comp__quotas (staging) reads stg_comp__fx_rates (staging)",
    "stg_crm__forecast_submissions (staging) reads stg_comp__fx_rates (staging)",
    "stg_crm__opportunities (staging) reads stg_comp__fx_rates (staging)",
]


def test_every_model_reads_only_the_layers_below_or_beside_it():
    # A new crossing fails here; so does a removed one, until it leaves the list above.
    assert _crossings(dbt_manifest()) == REMAINING_CROSSINGS


def test_no_model_reads_the_published_calendar():
    # The fiscal calendar is int_dates_spined / int_fiscal_periods; dim_date only publishes it.
    readers = sorted(
        node["name"] for node in dbt_manifest()["nodes"].values()
        if node["resource_type"] == "model" and "model.salesops.dim_date" in node["depends_on"]["nodes"]
    )
    assert readers == []


def test_a_mart_reading_staging_is_reported():
    # The check itself can fail: a mart that reads a staging model directly is named.
    manifest = {
        "nodes": {
            "model.p.stg_a": {"resource_type": "model", "name": "stg_a",
                              "original_file_path": "models/staging/crm/stg_a.sql",
                              "depends_on": {"nodes": ["source.p.crm.a"]}},
            "model.p.fct_b": {"resource_type": "model", "name": "fct_b",
                              "original_file_path": "models/marts/sales/fct_b.sql",
                              "depends_on": {"nodes": ["model.p.stg_a"]}},
        },
        "sources": {"source.p.crm.a": {"resource_type": "source", "name": "a"}},
    }
    assert _crossings(manifest) == ["fct_b (marts) reads stg_a (staging)"]


def _groups_reading(manifest: dict) -> dict[str, set[str]]:
    """For every model, the groups of the models that ref it."""
    readers: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model":
            for parent in node["depends_on"]["nodes"]:
                readers.setdefault(parent, set()).add(node["group"])
    return readers


def test_access_fences_each_area():
    # Marts are public; an intermediate model read only inside its own area (group) is private,
    # one that owns a rule several areas share is protected - and only then.
    manifest = dbt_manifest()
    readers = _groups_reading(manifest)
    wrong = []
    for key, node in manifest["nodes"].items():
        if node["resource_type"] != "model":
            continue
        layer = _layer(node)
        if layer == "marts":
            expected = "public"
        elif layer == "staging":
            expected = "protected"
        else:
            expected = "private" if readers.get(key, set()) <= {node["group"]} else "protected"
        if node["access"] != expected or not node["group"]:
            wrong.append(f"{node['name']} ({node['group']}): {node['access']}, expected {expected}")
    assert sorted(wrong) == []
