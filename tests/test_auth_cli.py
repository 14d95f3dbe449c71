"""``workbench auth FILE [--json] [--on]``."""

from __future__ import annotations

import json

from workbench.cli import main
from workbench.reference import data_dir

SAMPLE = str(data_dir() / "prefectures" / "07_fukushima.yaml")


def run_json(capsys, *args):
    assert main(["auth", SAMPLE, "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_contract_and_on_date(capsys):
    before = run_json(capsys, "--on", "2027-03-31")
    after = run_json(capsys, "--on", "2027-04-01")
    for data in (before, after):
        assert {"services", "federation"} <= set(data)
        eapp = next(s for s in data["services"] if s["service"] == "e-application")
        assert eapp["satisfied"] is False and eapp["missing"]
        assert data["federation"][0]["platforms"] == ["pref-platform", "aizu-platform"]
        assert data["federation"][0]["aligned"] is False
    aizu = [
        next(s for s in d["services"] if s["service"] == "aizu-points")["offered"] for d in (before, after)
    ]
    assert aizu == [{"proofing": 2, "authenticator": 1}, {"proofing": 1, "authenticator": 1}]
    assert after["on"] == "2027-04-01"


def test_text_output(capsys):
    assert main(["auth", SAMPLE, "--on", "2026-06-18"]) == 0
    out = capsys.readouterr().out
    assert "電子申請" in out and "認証連携" in out and "既定の仮定" in out  # services by name


def test_bad_input_exit_2(tmp_path, capsys):
    f = tmp_path / "bad.yaml"
    f.write_text(
        "prefecture: 福島県\nplatforms:\n  - {id: p, name: P, operated_by: prefecture, means: [nope]}\n",
        encoding="utf-8",
    )
    assert main(["auth", str(f), "--json"]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and "bad.yaml:3" in cap.err and "means[0]" in cap.err
