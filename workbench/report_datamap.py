"""Exports of the データマップ analysis: the 公開API一覧 as a self-contained HTML page and as xlsx, every table of
the analysis as one xlsx, and the データの流れ section of the one-file report (workbench.report). Numbers come
from :func:`workbench.datamap.datamap`; this module only lays them out."""

from __future__ import annotations

import datetime as dt
import html
import os
from pathlib import Path
from typing import Any

import pandas as pd

from .datamap import DataMapResult
from .files import atomic_write
from .inventory import Prefecture
from .text import office_safe, office_text

_CSS = """
body { font-family: Noto Sans CJK JP, Hiragino Sans, Yu Gothic, Meiryo, sans-serif; margin: 0 auto; max-width: 1100px;
       padding: 16px 24px; color: #222; }
h1 { font-size: 22px; border-bottom: 3px solid #0017b6; padding-bottom: 4px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0 16px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f6fa; }
.note { color: #555; font-size: 12px; }
"""


def _table(df: pd.DataFrame) -> str:
    if df is None or len(df) == 0:
        return "<p class='note'>（なし）</p>"
    return df.to_html(index=False, escape=True, border=0, na_rep="—")


def result_names(res: DataMapResult, names: dict[str, str] | None = None) -> dict[str, str]:
    """Ids → names for the data map's take-aways: the services and data assets the analysis knows, and the
    file's names when given (:func:`workbench.staff.file_names`)."""
    out = {s.id: s.name for s in res.services if s.id} | {a.id: a.name for a in res.assets if a.id}
    out |= {n.id.split(":", 1)[1]: n.label for n in res.nodes if n.kind == "platform" and ":" in n.id}
    return out | (names or {})


def api_frame(res: DataMapResult, names: dict[str, str] | None = None) -> pd.DataFrame:
    """The 公開API一覧 as staff file it: platforms, services and data by name."""
    from .staff import frame_names_ja

    return frame_names_ja(res.apis_frame(), result_names(res, names))


def api_html(
    res: DataMapResult, generated: dt.datetime | None = None, names: dict[str, str] | None = None
) -> str:
    """The 公開API一覧 (guide 4.3) of a prefecture as one HTML page (no script, no external reference)."""
    from .text import date_ja

    when = date_ja(generated or dt.datetime.now(), time=True)
    title = f"{res.prefecture.name} 公開API一覧"
    parts = [
        "<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<p>データ連携基盤と各分野のサービスとを結ぶAPI、及び共用するデータアセット等と結ぶAPIは、基盤の側で開発し関係者に"
        "公開することが必要です（ガイド 4.3）。基盤ごとに、サービス向け・データアセット向けのAPIと方式、公開の有無を示します。</p>",
        _table(api_frame(res, names)),
        "<p class='note'>「根拠」が「入力」の行は都道府県ファイルの記録、「推定」の行はデータマップの提供方法から読み取ったものです。"
        "「推定」の行の公開の有無は基盤の属性（API公開）によります。記録のない行は「不明」です。</p>",
        f"<p class='note'>作成: {html.escape(when)}（共同利用ワークベンチ）。出典: ガイド 4.3; ガイドブック 3.2。</p>",
        "</body></html>",
    ]
    return office_text("".join(parts))  # no text the encoder or a browser refuses (the names come from res)


def write_api_html(
    res: DataMapResult, out: str | os.PathLike[str], names: dict[str, str] | None = None
) -> Path:
    """Write :func:`api_html` atomically."""
    path = Path(out)
    atomic_write(path, api_html(res, names=names).encode("utf-8"), backup=False)
    return path


def tables(res: DataMapResult, names: dict[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """Every table of the analysis, by sheet title, as staff file them (names, not ids)."""
    from .staff import frame_names_ja

    res = office_safe(res)  # no text can make openpyxl fail
    ids = result_names(res, names)
    return {k: frame_names_ja(v, ids) for k, v in _tables(res).items()}


def _tables(res: DataMapResult) -> dict[str, pd.DataFrame]:
    return {
        "データの流れ": res.to_staff_frame(),
        "課題": res.findings_frame(),
        "分野横断の連携候補": res.candidates_frame(),
        "新たな連携シナリオの候補": res.opportunities_frame(),
        "不足データ": res.missing_frame(),
        "サービス": res.services_frame(),
        "データアセット": res.assets_frame(),
        "標準データモデル": res.coverage_frame(),
        "相互運用性の層": res.interop_frame(),
        "活用の段階": res.stages_frame(),
        "規格移行のフェーズ": res.migration_frame(),
        "KPI": res.kpis_frame(),
        "公開API一覧": res.apis_frame(),
        "注意と読み方": pd.DataFrame(
            {
                "区分": ["注意"] * len(res.warnings)
                + ["読み方"] * len(res.readings)
                + ["資料にない点"] * len(res.gaps),
                "内容": [*res.warnings, *res.readings, *res.gaps],
            }
        ),
    }


def tables_xlsx_bytes(
    res: DataMapResult, names: dict[str, str] | None = None, *, note: str | None = None
) -> bytes:
    """Every table of the analysis as sheets of one xlsx (formula-safe, names not ids, printed like every
    workbook); ``note`` (a synthetic prefecture's :func:`workbench.text.synthetic_note`) goes on a first sheet of
    its own."""
    from .exports import frames_xlsx_bytes

    return frames_xlsx_bytes(tables(res, names), title=f"{res.prefecture.name} データマップ", note=note)


def api_xlsx_bytes(res: DataMapResult, names: dict[str, str] | None = None) -> bytes:
    """The 公開API一覧 as one xlsx (names not ids, printed like every workbook)."""
    from .exports import frames_xlsx_bytes

    return frames_xlsx_bytes(
        {"公開API一覧": api_frame(res, names)}, title=f"{res.prefecture.name} 公開API一覧"
    )


def write_tables_xlsx(
    res: DataMapResult,
    out: str | os.PathLike[str],
    names: dict[str, str] | None = None,
    *,
    note: str | None = None,
) -> Path:
    """Write :func:`tables_xlsx_bytes` atomically."""
    path = Path(out)
    atomic_write(path, tables_xlsx_bytes(res, names, note=note), backup=False)
    return path


def section(page: Any, pref: Prefecture) -> None:
    """The データの流れ section of the one-file report (workbench.report._Page)."""
    from .charts import datamap as charts
    from .datamap import datamap
    from .staff import file_names, frame_names_ja

    res = datamap(pref)
    ids = result_names(res, file_names(pref))
    page.h(2, "データの流れ（データマップ）", "datamap")
    if not res.has_data_map:
        page.p("この都道府県ファイルにはデータマップがありません。", "wb-note")
        return
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in res.card_rows())
    page.raw(f"<table>{rows}</table>")
    page.chart(charts.flow_figure(res))
    page.chart(charts.field_matrix_figure(res))
    for title, df in (
        ("分野をまたぐ流れ", res.cross_frame()),
        ("分野横断の連携候補（ガイドブック 11.3 のマトリクス）", res.candidates_frame()),
        (
            "新たな連携シナリオの候補（提供先がまだない外部提供可能データ、ガイドブック 11.2）",
            res.opportunities_frame(),
        ),
        ("データマップの課題", res.findings_frame()),
    ):
        page.h(3, title)
        page.raw(_table(frame_names_ja(df, ids)))
    page.chart(charts.coverage_figure(res))
    for title, df in (
        ("相互運用性の3つの層（ガイドブック 10.1）", res.interop_frame()),
        ("活用の段階（ガイドブック 11.3・12章）", res.stages_frame()),
        ("規格移行のフェーズ（ガイドブック 10.4、目安）", res.migration_frame()),
        ("KPI（ガイドブック 8.3）", res.kpis_frame()),
        ("公開API一覧（ガイド 4.3）", res.apis_frame()),
    ):
        page.h(3, title)
        page.raw(_table(frame_names_ja(df, ids)))
    notes = [
        *(f"注意: {w}" for w in res.warnings),
        *(f"読み方: {r}" for r in res.readings),
        *(f"資料にない点: {g}" for g in res.gaps),
    ]
    page.raw("<ul class='wb-note'>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    if res.facts or res.assumptions:
        page.raw(
            "<ul>"
            + "".join(f"<li>事実: {html.escape(f)}</li>" for f in res.facts)
            + "".join(f"<li>仮定: {html.escape(a)}</li>" for a in res.assumptions)
            + "</ul>"
        )
