"""The national view: classify, auth matching and every cost rule for one prefecture file per prefecture,
summarised one row per prefecture (issue: national view and benchmarks).

Prefectures without a sample file use the deterministic synthetic file of :mod:`workbench.synth`; the row
says so (``synthetic``), so synthetic figures are never mistaken for surveyed ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from . import reference
from .errors import InputError
from .inventory import Prefecture

#: the rules run in the national batch (every rule of data/cost_rules.csv whose data every file has)
Progress = Callable[[int, int, str], None]

COLUMNS_JA = {
    "code": "コード",
    "name": "都道府県",
    "synthetic": "合成データ",
    "municipalities": "市区町村数",
    "population": "人口（2020）",
    "current_type": "現在の型",
    "auth": "個人認証サービス数",
    "non_personal": "非パーソナル基盤数",
    "personal": "パーソナル基盤数",
    "pattern": "パターン",
    "after_type": "目指す型",
    "issues": "課題数",
    "issues_high": "重要度高の課題",
    "services_unsatisfied": "レベル不足のサービス",
    "federation_unaligned": "レベル不整合の連携",
    "members": "参加団体数",
    "shared_total": "共同利用の費用（現在価値・円）",
    "standalone_total": "単独の費用の合計（現在価値・円）",
    "saving_ratio": "削減率",
    "prefecture_part": "県の負担（円）",
    "rules_not_ir": "単独より高い団体が出るルール",
    "rules_in_core": "コアに入るルール",
    "least_core_epsilon": "最小コアの値（円、負ならコアは空）",
    "seconds": "計算時間（秒）",
}


def summarize(pref: Prefecture, *, rules: Iterable[str] | None = None) -> dict[str, Any]:
    """One prefecture's row of the national summary."""
    from . import cost
    from .auth import match_auth
    from .classify import classify

    t0 = time.perf_counter()
    c = classify(pref)
    a = match_auth(pref)
    prefs = reference.prefectures().set_index("code")
    row: dict[str, Any] = {
        "code": pref.code,
        "name": pref.name,
        "synthetic": pref.synthetic,
        "municipalities": int(prefs.loc[pref.code, "municipalities"]),
        "population": int(prefs.loc[pref.code, "population_2020"]),
        "current_type": c.current_type,
        **c.counts.model_dump(),
        "pattern": c.pattern,
        "pattern_label": c.pattern_label,
        "after_type": c.after.type if c.after else None,
        "issues": len(c.issues),
        "issues_high": sum(i.severity == "high" for i in c.issues),
        "services_unsatisfied": sum(not s.satisfied for s in a.services),
        "federation_unaligned": sum(not f.aligned for f in a.federation),
    }
    if pref.costs is not None:
        report = cost.audit_rules(pref, list(rules) if rules is not None else None)
        shap = cost.allocate(pref, rule="shapley")
        standalone = sum(m.standalone for m in shap.members)
        row.update(
            {
                "members": len(shap.members),
                "shared_total": round(shap.total),
                "standalone_total": round(standalone),
                "saving_ratio": 1 - shap.total / standalone if standalone else None,
                "prefecture_part": round(shap.prefecture),
                "rules_not_ir": "|".join(
                    r for r, au in report.audits.items() if not au.individually_rational
                ),
                "rules_in_core": "|".join(r for r, au in report.audits.items() if au.in_core),
                "least_core_epsilon": round(report.least_core.epsilon) if report.least_core else None,
            }
        )
    row["seconds"] = round(time.perf_counter() - t0, 3)
    return row


def prefecture_file(code: str, folder: Path | None = None) -> Path:
    """The file used for a prefecture: ``folder/NN_*.yaml`` when given and present, else the sample or the
    synthetic file. Two files of one number in the folder are an error (which one is meant is unknown)."""
    from .samples import sample_path

    if folder is not None:
        hits = sorted(Path(folder).glob(f"{code}_*.yaml"))
        if len(hits) > 1:
            name = reference.resolve_prefecture(code)[1]
            raise InputError.single(
                f"{name}（{code}）のファイルが {len(hits)} つあります（{', '.join(h.name for h in hits)}）。"
                "使うものだけを残してください",
                file=str(hits[1]),
                line=1,
            )
        if hits:
            return hits[0]
    return sample_path(code)


def _load_for(code: str, folder: Path | None) -> Prefecture:
    """The prefecture file of ``code``, refused when it describes another prefecture (a file saved under
    another prefecture's number: its rows would be counted twice and ``code``'s left out)."""
    from .errors import locate
    from .inventory import load

    path = prefecture_file(code, folder)
    pref = load(path)
    if pref.code != code:
        name = reference.resolve_prefecture(code)[1]
        doc = getattr(pref, "_wb_doc", None)
        raise InputError.single(
            f"ファイル名の番号 {code}（{name}）と中身の都道府県（{pref.name}、{pref.code}）が違います。"
            f"ファイル名を「{pref.code}_….yaml」にするか、中身を確かめてください。{name}は集計から外しました",
            file=str(path),
            line=locate(doc, ["prefecture"]) if doc is not None else 1,
            field="prefecture",
        )
    return pref


def run_batch(
    codes: Iterable[str] | None = None,
    *,
    folder: Path | None = None,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Summaries for the given prefectures (default: all 47). Returns the table and the located errors of
    files that could not be used, one line each naming the file and the reason (those prefectures are left
    out of the table, not guessed; the others finish): a file that does not load, a file of another
    prefecture under this one's number, two files of one number, or a computation that failed."""
    todo = (
        [reference.resolve_prefecture(c)[0] for c in codes]
        if codes
        else list(reference.prefectures()["code"])
    )
    rows, errors = [], []
    for i, code in enumerate(todo, 1):
        try:
            rows.append(summarize(_load_for(code, folder)))
        except InputError as err:
            errors.append(str(err).splitlines()[0])
        except Exception as err:  # one file's failure never stops the others; the exit status says so
            name = reference.resolve_prefecture(code)[1]
            try:
                where = str(prefecture_file(code, folder))
            except InputError:  # pragma: no cover - raised above already
                where = name
            errors.append(
                f"{where}: {name}は計算の途中で止まったため、集計から外しました（内部のエラー: {type(err).__name__}）"
            )
        if progress:
            progress(i, len(todo), code)
    return pd.DataFrame(rows), errors


def staff_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The national summary as staff file it (CSV, xlsx): Japanese columns, ○/— for yes/no, patterns and
    rules by their labels, the saving as a percentage, money in whole 円."""
    from .cost import rules_table

    rules = dict(zip(rules_table()["code"], rules_table()["label_ja"], strict=True))
    out = df.copy()
    if "synthetic" in out:
        out["synthetic"] = out["synthetic"].map(lambda v: "○" if v else "—")
    if "pattern" in out and "pattern_label" in out:
        out["pattern"] = [
            f"{p}（{lab}）" if p in "ABCD" else lab
            for p, lab in zip(out["pattern"], out["pattern_label"], strict=True)
        ]
    for col in ("rules_not_ir", "rules_in_core"):
        if col in out:
            out[col] = out[col].map(
                lambda v: (
                    "、".join(rules.get(x, x) for x in str(v).split("|") if x) or "なし"
                    if isinstance(v, str)
                    else "—"
                )
            )
    if "saving_ratio" in out:
        out["saving_ratio"] = out["saving_ratio"].map(
            lambda v: f"{v:.1%}" if isinstance(v, float) and v == v else "—"
        )
    for col in ("shared_total", "standalone_total", "prefecture_part", "least_core_epsilon"):
        if col in out:
            out[col] = out[col].map(
                lambda v: int(round(v)) if isinstance(v, int | float) and v == v else None
            )
    return out.drop(columns=["seconds", "pattern_label"], errors="ignore").rename(columns=COLUMNS_JA)


def national_totals(df: pd.DataFrame) -> dict[str, Any]:
    """Totals over the national table (municipalities and population must match the census)."""
    return {
        "prefectures": int(df["code"].nunique()),
        "municipalities": int(df["municipalities"].sum()),
        "population": int(df["population"].sum()),
        "synthetic": int(df["synthetic"].sum()),
        "types": df["current_type"].value_counts().to_dict(),
    }
