"""prefect.yaml must not drift from the code: every entrypoint imports and accepts its parameters."""

from __future__ import annotations

import importlib
import inspect

import yaml
from prefect import Flow

from tests.conftest import ROOT


def deployments() -> list[dict]:
    return yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]


def test_every_entrypoint_imports_and_takes_its_parameters() -> None:
    for deployment in deployments():
        path, name = deployment["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, name)
        assert isinstance(flow, Flow), deployment["name"]
        accepted = set(inspect.signature(flow.fn).parameters)
        assert set(deployment.get("parameters", {})) <= accepted, deployment["name"]


def test_weekly_refresh_has_a_cron_schedule() -> None:
    weekly = next(d for d in deployments() if d["name"] == "weekly-refresh")
    (schedule,) = weekly["schedules"]
    fields = schedule["cron"].split()
    assert len(fields) == 5 and fields[4] in {"1", "MON", "mon"}
    assert weekly["parameters"]["since"] == "last"


def test_the_sample_deployment_writes_its_own_file_and_the_file_says_so() -> None:
    """offline-sample must never overwrite the main warehouse; the file names the database it writes and
    the setting that keeps an offline server quiet."""
    from ketamine_evidence.warehouse.dbfile import DEFAULT_DB

    by_name = {d["name"]: d for d in deployments()}
    sample_db = by_name["offline-sample"]["parameters"]["db"]
    assert by_name["weekly-refresh"]["parameters"]["db"] == str(DEFAULT_DB) != sample_db
    text = (ROOT / "prefect.yaml").read_text()
    assert sample_db in by_name["offline-sample"]["description"] and "PREFECT_SERVER_ANALYTICS_ENABLED=false" in text
