"""Excel hearing sheets (ヒアリングシート) for Step 1: generate, read back, merge into the prefecture file.

Prefecture staff collect the Step 1 hearing from every municipality in Excel. :func:`hearing_workbook` makes
the workbook (an instructions sheet in Japanese, the prefecture's municipalities with 2020 census
population, and sheets of platforms and services whose enumerated columns carry dropdowns of the Japanese
labels of data/enums.csv); :func:`read_hearing` parses a filled workbook into platform and service rows with
every problem located as file, sheet, row and column header; :func:`merge_hearings` merges many workbooks
(one per municipality is normal) and reports conflicts instead of silently picking one;
:func:`import_hearings` writes the result into the prefecture file with :func:`workbench.inventory.save`
(atomic, comments kept, stale files refused).

Rules of the merge, so that a meeting can defend them:

- a blank cell is "no answer": it never clears a value, neither another workbook's nor the file's;
- 利用する市区町村 / 提供する市区町村 are unioned (each municipality reports its own use);
- any other value given differently by two workbooks is a conflict; the import stops (exit 2) and lists both
  sources, unless ``prefer`` names the file whose values win or ``on_conflict="first"`` keeps the first;
- the workbooks update the prefecture file: a value given in a workbook replaces the file's value.

Headers are found by their text (case, width and spacing folded), so extra and reordered columns are
tolerated; a missing required sheet or column, a merged header cell, a duplicated header, or a value under a
column without a header is a located error. Every cell written goes through :func:`workbench.tabular.safe_cell`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError

from . import reference
from .datamap_sheets import add_datamap_sheets
from .errors import InputError, Problem, field_path
from .sheetkit import (
    HEAD_FILL,
    HEAD_FONT,
    HEADER_ROW,
    NOTE_FONT,
    REQ_FILL,
    SHEET_INFO,
    SHEET_LISTS,
    Conflict,
    Lists,
    Source,
    cell_text,
    merge_value,
    put,
    workbook_bytes,
)
from .sheetkit import text_problem as _text_problem
from .tabular import municipality_code
from .text import fold, nfkc, office_safe
from .xlsx_stream import MAX_FILE_BYTES as MAX_FILE_BYTES  # the caps of a workbook, re-exported
from .xlsx_stream import MAX_UNPACKED_BYTES as MAX_UNPACKED_BYTES
from .xlsx_stream import Cell, StreamBook, unreadable_problem

FORMAT_VERSION = "workbench-hearing-1"
SHEET_MUNIS = "市区町村"
SHEET_PLATFORMS = "基盤"
SHEET_SERVICES = "サービス"
REQUIRED_SHEETS = (SHEET_PLATFORMS, SHEET_SERVICES)
DATA_ROWS = 300  # rows that carry dropdown validation

YES, NO = "あり", "なし"
_YES = {
    fold(x)
    for x in (
        "あり",
        "有",
        "有り",
        "はい",
        "yes",
        "y",
        "true",
        "1",
        "○",
        "〇",
        "◯",
        "記載",
        "記載あり",
        "区別して記載",
    )
}
_NO = {
    fold(x)
    for x in (
        "なし",
        "無",
        "無し",
        "いいえ",
        "no",
        "n",
        "false",
        "0",
        "×",
        "✕",
        "未記載",
        "記載なし",
        "区別していない",
    )
}
_SPLIT = re.compile(r"[,、，;；\n]+")


# --- the columns: one table, used to write and to read ----------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a hearing sheet.

    ``key`` is the field of the model (dotted for nested: ``terms.exists``; ``components:auth`` for one
    member of a list shown as a yes/no column); ``kind`` says how a cell is read and written.
    """

    key: str
    header: str
    kind: str = "text"  # text | enum | bool | level | list | ids | munis | operator | platform_ref
    enum: str | None = None
    required: bool = False
    note: str = ""
    width: int = 18


def _enum_col(key: str, header: str, enum: str, note: str = "選択") -> Column:
    return Column(key, header, "enum", enum, note=note, width=22)


def platform_columns() -> tuple[Column, ...]:
    """Columns of the 基盤 sheet; headers of components and modules are their labels in data/enums.csv."""
    comp = [
        Column(f"components:{c}", reference.label("component", c), "bool", note="あり／なし", width=16)
        for c in reference.enum_codes("component")
    ]
    mods = [
        Column(
            f"modules:{m}", reference.label("module", m), "bool", note="推奨モジュール あり／なし", width=16
        )
        for m in reference.enum_codes("module")
    ]
    return (
        Column("id", "基盤ID", required=True, note="必須・英数字（空白なし）", width=16),
        Column("name", "基盤名", required=True, note="必須", width=28),
        Column(
            "operated_by", "運営主体", "operator", required=True, note="必須・選択または市区町村名", width=20
        ),
        _enum_col("status", "状態", "status"),
        _enum_col("field", "分野", "field", note="選択（分からなければ空欄）"),
        *comp,
        _enum_col("service_scheme", "サービス提供スキーム", "service_scheme"),
        _enum_col("platform_scheme", "基盤提供スキーム", "platform_scheme"),
        _enum_col("user_scope", "サービス利用者の範囲", "user_scope"),
        Column("identity_proofing", "身元確認レベル", "level", note="1〜3（個人認証サービスがある場合）"),
        Column("authenticator", "当人認証レベル", "level", note="1〜3（個人認証サービスがある場合）"),
        Column("means", "本人確認手段", "list", note="手段のコード（カンマ区切り）", width=24),
        _enum_col("non_personal_broker", "非パーソナルブローカー（データ管理方式）", "broker"),
        _enum_col("personal_broker", "パーソナルブローカー（データ管理方式）", "broker"),
        Column("terms.exists", "住民向け規約", "bool", note="あり／なし"),
        Column("terms.component_responsibility", "規約：部品毎の責任範囲", "bool", note="記載あり／なし"),
        Column(
            "terms.platform_service_split",
            "規約：基盤とサービスの責任範囲の区別",
            "bool",
            note="記載あり／なし",
        ),
        Column("terms.certification_audit", "規約：提供組織の認定と監査", "bool", note="記載あり／なし"),
        Column("auth_federation_with", "認証連携先（基盤ID）", "ids", note="基盤ID（カンマ区切り）"),
        Column("data_federation_with", "データ連携先（基盤ID）", "ids", note="基盤ID（カンマ区切り）"),
        *mods,
        Column("api_published", "API公開", "bool", note="あり／なし"),
        Column(
            "municipalities",
            "利用する市区町村",
            "munis",
            note="市区町村名またはコード（カンマ区切り）",
            width=30,
        ),
        Column("vendor", "ベンダ"),
        Column("source", "出典"),
        Column("notes", "備考", width=30),
        _enum_col("organisation", "運営組織体制", "organisation", note="共同利用しているとき: 選択"),
        Column("data_models", "データモデル", "list", note="使うデータモデル（カンマ区切り）", width=24),
    )


def service_columns() -> tuple[Column, ...]:
    """Columns of the サービス sheet."""
    return (
        Column("id", "サービスID", required=True, note="必須・英数字（空白なし）", width=16),
        Column("name", "サービス名", required=True, note="必須", width=28),
        Column("platform", "基盤ID", "platform_ref", required=True, note="必須・基盤シートのID", width=16),
        _enum_col("provider", "提供者", "provider"),
        Column(
            "contracted",
            "自治体からの業務委託",
            "bool",
            note="提供者が民間のとき: 自治体から業務委託を受けて提供しているか あり／なし（ありなら自治体の提供として数える）",
            width=20,
        ),
        _enum_col("category", "サービスカテゴリ", "service_category", note="選択（サインイン不要なら空欄）"),
        Column("personal_data", "パーソナルデータを扱う", "bool", note="あり／なし"),
        Column("uses_data_from", "データ利用元（基盤ID）", "ids", note="基盤ID（カンマ区切り）"),
        Column("levels.proofing", "必要な身元確認レベル", "level", note="1〜3（カテゴリより優先）"),
        Column("levels.authenticator", "必要な当人認証レベル", "level", note="1〜3（カテゴリより優先）"),
        Column(
            "municipalities",
            "提供する市区町村",
            "munis",
            note="市区町村名またはコード（カンマ区切り）",
            width=30,
        ),
        Column("data_model", "データモデル"),
        Column("source", "出典"),
        Column("notes", "備考", width=30),
    )


def _columns(sheet: str) -> tuple[Column, ...]:
    return platform_columns() if sheet == SHEET_PLATFORMS else service_columns()


# --- generating -----------------------------------------------------------------------------------


def _cell_text(col: Column, value: Any, pref_code: str) -> Any:
    """The cell shown for a model value (labels for codes, names for municipality codes)."""
    if value is None:
        return None
    if col.kind == "enum":
        return reference.label(col.enum or "", value)
    if col.kind == "bool":
        return YES if value else NO
    if col.kind == "operator":
        if str(value).isdigit():
            return _muni_text(value, pref_code)
        return reference.label("operated_by", value)
    if col.kind == "munis":
        return "、".join(_muni_text(c, pref_code) for c in value) or None
    if col.kind in ("list", "ids"):
        return ", ".join(value) or None
    return value


def _muni_text(code: str, pref_code: str) -> str:
    """A municipality's name for a cell; one of another prefecture with its prefecture in front."""
    name = reference.municipality_name(code)
    return name if code[:2] == pref_code else reference.prefecture_of_municipality(code)[1] + name


def _row_values(columns: Sequence[Column], data: dict[str, Any], pref_code: str) -> list[Any]:
    out = []
    for col in columns:
        if ":" in col.key:
            group, code = col.key.split(":", 1)
            if group in data:
                out.append(YES if code in data[group] else NO)
            else:
                out.append(None)
            continue
        value: Any = data
        for part in col.key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        out.append(_cell_text(col, value, pref_code))
    return out


def _validation(ws: Any, lists: Lists, col: Column, idx: int, names: Sequence[str]) -> None:
    letter = get_column_letter(idx)
    rng = f"{letter}{HEADER_ROW + 1}:{letter}{HEADER_ROW + DATA_ROWS}"
    if col.kind == "enum":
        labels = [reference.label(col.enum or "", c) for c in reference.enum_codes(col.enum or "")]
        dv = DataValidation(type="list", formula1=lists.formula(col.enum or "", labels), allow_blank=True)
        dv.error, dv.errorTitle = "一覧から選んでください", "選択肢にない値"
    elif col.kind == "bool":
        dv = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True)
    elif col.kind == "level":
        dv = DataValidation(type="list", formula1='"1,2,3"', allow_blank=True)
    elif col.kind == "operator":
        ops = [reference.label("operated_by", c) for c in reference.enum_codes("operated_by")]
        dv = DataValidation(type="list", formula1=lists.formula("運営主体", [*ops, *names]), allow_blank=True)
        dv.errorStyle = "warning"  # a 6-digit code is accepted too
    elif col.kind == "platform_ref":
        ref = f"'{SHEET_PLATFORMS}'!$A${HEADER_ROW + 1}:$A${HEADER_ROW + DATA_ROWS}"
        dv = DataValidation(type="list", formula1=ref, allow_blank=True)
        dv.errorStyle = "warning"
    else:
        return
    dv.showErrorMessage = True
    dv.add(rng)
    ws.add_data_validation(dv)


def _data_sheet(
    wb: Workbook,
    lists: Lists,
    title: str,
    guide: str,
    columns: Sequence[Column],
    rows: Iterable[list[Any]],
    names: Sequence[str],
) -> None:
    ws = wb.create_sheet(title)
    put(ws, 1, 1, f"{title}の一覧").font = Font(bold=True, size=14)
    put(ws, 2, 1, guide)
    for i, col in enumerate(columns, 1):
        note = put(ws, 3, i, col.note)
        note.font = NOTE_FONT
        note.alignment = Alignment(wrap_text=True, vertical="bottom")
        head = put(ws, HEADER_ROW, i, col.header)
        head.font = HEAD_FONT
        head.fill = REQ_FILL if col.required else HEAD_FILL
        head.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(i)].width = col.width
        _validation(ws, lists, col, i, names)
    ws.row_dimensions[3].height = 30
    ws.row_dimensions[HEADER_ROW].height = 45
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=3)
    for r, values in enumerate(rows, HEADER_ROW + 1):
        for c, v in enumerate(values, 1):
            if v is not None:
                put(ws, r, c, v)


_INSTRUCTIONS = (
    "このブックは、都道府県内のデータ連携基盤とサービスの現況（共同利用ガイド Step 1）をうかがうためのものです。",
    "1. 上の「回答団体」に貴団体名を選び、「記入者」「記入日」を記入してください。",
    "2. 「基盤」シートに、貴団体が運営または利用しているデータ連携基盤を1行に1つ記入してください。"
    "県や他の団体が運営する基盤を利用している場合も、その基盤の行を書いてください（基盤IDは県から示されたものを使います）。",
    "3. 「サービス」シートに、基盤に接続しているサービスを1行に1つ記入してください。",
    "4. 色の付いた見出しの列は必須です（赤）。選択式の列はセルを選ぶと一覧が出ます。",
    "5. 見出しの行（4行目）の文字は変えないでください。列の並べ替えや、独自の列の追加はかまいません。セルの結合はしないでください。",
    "6. 複数の値はカンマ（、）で区切って書きます。市区町村は名前でもコード（5桁または6桁）でもかまいません。",
    "7. 空欄は「回答なし」として扱います。値を消したい場合は、その旨を備考に書いてください。",
    "8. 「市区町村」シートは参照用です（2020年国勢調査の人口）。",
    "9. 「サービス側データマップ」「データアセット側データマップ」は、デジタル庁「データマップ作成フォーマット」の項目です（記入は任意）。",
    "用語は「データ連携基盤の共同利用ガイド」3.4 属性の定義に従います。",
)


def hearing_workbook(
    prefecture: str,
    existing: Any = None,
    *,
    municipalities: Sequence[str] | None = None,
    respondent: str | None = None,
) -> Workbook:
    """The hearing workbook for a prefecture (pure: returns an openpyxl ``Workbook``, writes nothing).

    Parameters
    ----------
    prefecture
        Name or JIS code of the prefecture ("福島県", "07").
    existing
        A :class:`~workbench.inventory.Prefecture` whose platforms and services prefill the sheets.
    municipalities
        Codes listed on the 市区町村 sheet (default: every municipality of the prefecture).
    respondent
        A municipality name or code to prefill 回答団体 (one workbook per municipality).
    """
    code, name = reference.resolve_prefecture(prefecture)
    existing = office_safe(existing)  # no text can make openpyxl fail (U+FFFF, control characters …)
    munis = reference.municipalities_of(code)
    all_names = list(munis["name"])
    if municipalities is not None:
        munis = munis[munis["code"].isin(list(municipalities))]
    wb = Workbook()
    info = wb.active
    info.title = SHEET_INFO
    put(info, 1, 1, f"データ連携基盤の現況ヒアリングシート（{name}）").font = Font(bold=True, size=14)
    meta = [
        ("都道府県", name),
        ("都道府県コード", code),
        (
            "回答団体",
            reference.municipality_name(municipality_code(code, respondent)) if respondent else None,
        ),
        ("記入者", None),
        ("記入日", None),
        ("様式", FORMAT_VERSION),
    ]
    for r, (k, v) in enumerate(meta, 3):
        put(info, r, 1, k).font = Font(bold=True)
        if v is not None:
            put(info, r, 2, v)
    for r, text in enumerate(_INSTRUCTIONS, 3 + len(meta) + 1):
        put(info, r, 1, text)
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 40

    ms = wb.create_sheet(SHEET_MUNIS)
    put(ms, 1, 1, f"{name}の市区町村（人口は2020年国勢調査）").font = Font(bold=True, size=14)
    put(ms, 2, 1, reference.POPULATION_SOURCE)
    for i, h in enumerate(("コード", "市区町村名", "人口（2020年）"), 1):
        head = put(ms, HEADER_ROW, i, h)
        head.font, head.fill = HEAD_FONT, HEAD_FILL
    for r, (c, n, p) in enumerate(
        munis[["code", "name", "population_2020"]].itertuples(index=False), HEADER_ROW + 1
    ):
        put(ms, r, 1, str(c))
        put(ms, r, 2, str(n))
        put(ms, r, 3, int(p))
    ms.column_dimensions["A"].width, ms.column_dimensions["B"].width = 10, 18
    ms.column_dimensions["C"].width = 14

    lists = Lists(wb)
    dv = DataValidation(type="list", formula1=lists.formula("回答団体", [name, *all_names]), allow_blank=True)
    dv.add("B5")
    info.add_data_validation(dv)

    pdata = ([], [])
    if existing is not None:
        pdata = (
            [p.model_dump(mode="json", exclude_none=True) for p in existing.platforms],
            [s.model_dump(mode="json", exclude_none=True) for s in existing.services],
        )
    pcols, scols = platform_columns(), service_columns()
    _data_sheet(
        wb,
        lists,
        SHEET_PLATFORMS,
        "運営または利用しているデータ連携基盤を1行に1つ。見出し（4行目）は変えないでください。",
        pcols,
        (_row_values(pcols, d, code) for d in pdata[0]),
        all_names,
    )
    _data_sheet(
        wb,
        lists,
        SHEET_SERVICES,
        "基盤に接続しているサービスを1行に1つ。基盤IDは「基盤」シートのIDです。",
        scols,
        (_row_values(scols, d, code) for d in pdata[1]),
        all_names,
    )
    add_datamap_sheets(wb, lists, existing)
    # the lists sheet last, hidden
    wb.move_sheet(SHEET_LISTS, offset=len(wb.sheetnames))
    return wb


def write_hearing_sheet(
    path: str | os.PathLike[str], prefecture: str, existing: Any = None, **kwargs: Any
) -> Path:
    """Generate the hearing workbook and write it atomically (the previous file kept as ``.bak``)."""
    from .files import atomic_write

    target = Path(path)
    atomic_write(target, workbook_bytes(hearing_workbook(prefecture, existing, **kwargs)))
    return target


# --- reading --------------------------------------------------------------------------------------


@dataclass
class Row:
    """One platform or service row: flat values (``terms.exists``, ``components``) and where each came from."""

    id: str
    values: dict[str, Any]
    source: Source
    cells: dict[str, Source] = field(default_factory=dict)


@dataclass
class Hearing:
    """One filled workbook, parsed."""

    file: str
    prefecture_code: str | None
    respondent: str | None
    platforms: list[Row] = field(default_factory=list)
    services: list[Row] = field(default_factory=list)
    info_cell: str | None = None


def _unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        if "." in key:
            a, b = key.split(".", 1)
            out.setdefault(a, {})[b] = value
        else:
            out[key] = value
    return out


def _flatten(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("terms", "levels") and isinstance(value, dict):
            for k, v in value.items():
                out[f"{key}.{k}"] = v
        else:
            out[key] = value
    return out


def _parse_cell(col: Column, raw: Any, pref_code: str | None) -> Any:
    """The model value of one cell (raises ValueError with a Japanese message, maybe with .allowed)."""
    parse = _PARSERS.get(col.kind)
    if parse is not None:
        return parse(col, raw, pref_code)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if col.key in ("id", "platform"):
        return nfkc(str(raw))
    return str(raw)


def _parse_enum(col: Column, raw: Any, pref_code: str | None) -> Any:
    return reference.enum_code(col.enum or "", raw)


def _parse_bool(col: Column, raw: Any, pref_code: str | None) -> bool:
    if isinstance(raw, bool):
        return raw
    key = fold(str(raw))
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise reference.EnumValueError(f"{raw!r} は「あり」か「なし」で答えてください", f"{YES}, {NO}")


def _parse_level(col: Column, raw: Any, pref_code: str | None) -> int:
    s = nfkc(str(raw))
    if isinstance(raw, float) and raw.is_integer():
        s = str(int(raw))
    s = s.replace("レベル", "").replace("level", "").strip()
    if s not in ("1", "2", "3"):
        raise reference.EnumValueError(f"レベルは 1〜3 の数字です: {raw!r}", "1, 2, 3")
    return int(s)


def _parse_list(col: Column, raw: Any, pref_code: str | None) -> list[str]:
    return [x.strip() for x in _SPLIT.split(nfkc(str(raw))) if x.strip()]


def _parse_munis(col: Column, raw: Any, pref_code: str | None) -> list[str]:
    if pref_code is None:
        raise ValueError("都道府県が分からないため市区町村を判定できません（説明シートの都道府県コード）")
    return [
        municipality_code(pref_code, x.strip(), allow_outside=True)
        for x in _SPLIT.split(str(raw))
        if x.strip()
    ]


def _parse_operator(col: Column, raw: Any, pref_code: str | None) -> str:
    """Who runs a platform: a code or label of operated_by, else a municipality of (or outside) the prefecture."""
    try:
        return reference.enum_code("operated_by", raw)
    except ValueError:
        pass
    if pref_code is None:
        return str(raw)
    try:
        return municipality_code(pref_code, str(raw), allow_outside=True)
    except ValueError as err:
        raise reference.EnumValueError(
            f"運営主体が分かりません: {raw!r}（{err}）",
            reference.enum_allowed("operated_by") + ", または市区町村名・コード",
        ) from None


#: how each kind of column is read (the rest: text, ids NFKC-normalised)
_PARSERS: dict[str, Any] = {
    "enum": _parse_enum,
    "bool": _parse_bool,
    "level": _parse_level,
    "list": _parse_list,
    "ids": _parse_list,
    "munis": _parse_munis,
    "operator": _parse_operator,
}


def _info(
    rows: Sequence[tuple[int, dict[int, Cell]]], file: str, problems: list[Problem], expect: str | None
) -> tuple[str | None, str | None, str | None]:
    """(prefecture code, respondent, cell of the prefecture code) from the 説明 sheet's label/value rows (the
    first 40 rows, columns A and B); a workbook of another prefecture than ``expect`` is a problem."""
    found: dict[str, tuple[Any, str]] = {}
    for r, cells in rows:
        label_cell = cells.get(1)
        if label_cell is None:
            continue
        value_cell = cells.get(2)
        value = cell_text(value_cell.value) if value_cell is not None else None
        found.setdefault(fold(str(label_cell.value)), (value, f"B{r}"))
    code = cell = None
    for label in ("都道府県コード", "都道府県"):
        value, ref = found.get(fold(label), (None, ""))
        if value is None:
            continue
        try:
            code = reference.resolve_prefecture(str(value))[0]
            cell = ref
            break
        except KeyError:
            problems.append(
                Problem(
                    "都道府県が分かりません",
                    file,
                    int(ref[1:]),
                    f"{SHEET_INFO}!{ref} {label}",
                    value,
                    "47都道府県の名前またはJISコード",
                )
            )
            return None, None, ref
    if expect is not None and code is not None and code != expect:
        problems.append(
            Problem(
                f"このブックは{reference.resolve_prefecture(code)[1]}のものです"
                f"（取り込み先は{reference.resolve_prefecture(expect)[1]}）",
                file,
                int(cell[1:]) if cell else 1,
                f"{SHEET_INFO}!{cell} 都道府県コード",
                code,
            )
        )
    code = expect or code
    respondent, ref = found.get(fold("回答団体"), (None, ""))
    if respondent is not None and code is not None:
        name = reference.resolve_prefecture(code)[1]
        if fold(str(respondent)) not in (fold(name), fold(name[:-1])):
            try:
                respondent = reference.municipality_name(municipality_code(code, str(respondent)))
            except ValueError as err:
                problems.append(
                    Problem(str(err), file, int(ref[1:]), f"{SHEET_INFO}!{ref} 回答団体", respondent)
                )
    return code, (str(respondent) if respondent is not None else None), cell


def _header_row(rows: Sequence[tuple[int, dict[int, Cell]]]) -> int | None:
    """The row holding the headers: the first of rows 1..10 whose cells include the ID header."""
    wanted = {fold("基盤ID"), fold("サービスID"), "id"}
    for r, cells in rows:
        if r > 10:
            break
        if any(isinstance(c.value, str) and fold(c.value) in wanted for c in cells.values()):
            return r
    return None


def _read_sheet(
    book: StreamBook,
    sheet: str,
    file: str,
    pref_code: str | None,
    respondent: str | None,
    problems: list[Problem],
) -> list[Row]:
    """The platform or service rows of one sheet, streamed (:mod:`workbench.xlsx_stream`): only the cells that
    hold a value are read, and only those under the headers of :func:`platform_columns` /
    :func:`service_columns` are parsed; a value under no header, a merged cell, a duplicated header or a
    missing required column is a located problem."""
    columns = _columns(sheet)
    all_rows = list(book.rows(sheet))  # caps (columns, rows) raise here, located
    hrow = _header_row(all_rows)
    if hrow is None:
        problems.append(
            Problem(
                f"見出しの行が見つかりません（「{columns[0].header}」の列が必要です）",
                file,
                HEADER_ROW,
                f"{sheet}!{HEADER_ROW}行目",
            )
        )
        return []
    start = len(problems)
    problems += _merged_problems(book, sheet, file, hrow)
    header = next(cells for r, cells in all_rows if r == hrow)
    found, labelled = _header_columns(header, columns, sheet, file, hrow, problems)
    if len(problems) > start:
        return []
    reader = _SheetRows(sheet, file, pref_code, respondent, problems, found, labelled, columns)
    for r, cells in all_rows:
        if r > hrow and any(cell_text(x.value) is not None for x in cells.values()):
            reader.row(r, cells)
    return reader.rows


def _merged_problems(book: StreamBook, sheet: str, file: str, hrow: int) -> list[Problem]:
    """Merged cells in the header or the data (they hide values): each a problem."""
    out = []
    for coord in book.merged(sheet):
        min_col, min_row, max_col, max_row = range_boundaries(coord)
        if max_row >= hrow:
            where = "見出しの" if min_row <= hrow else ""
            out.append(
                Problem(
                    f"{where}セルが結合されています（{coord}）。結合を解除してください",
                    file,
                    min_row,
                    f"{sheet}!{coord.split(':')[0]}",
                    None,
                )
            )
    return out


def _header_columns(
    header: dict[int, Cell],
    columns: Sequence[Column],
    sheet: str,
    file: str,
    hrow: int,
    problems: list[Problem],
) -> tuple[dict[int, Column], set[int]]:
    """The known columns by position and every labelled position; a header given twice and a missing required
    column are problems (an extra column of the respondent's own is tolerated)."""
    by_header: dict[str, Column] = {}
    for col in columns:
        by_header[fold(col.header)] = col
        by_header.setdefault(fold(col.key), col)
    found: dict[int, Column] = {}
    seen: dict[str, str] = {}
    labelled: set[int] = set()
    for c, cell in sorted(header.items()):
        v = cell.value
        if v is None or (isinstance(v, str) and not v.strip()):
            continue
        labelled.add(c)
        col = by_header.get(fold(str(v)))
        if col is None:
            continue
        if col.key in seen:
            problems.append(
                Problem(
                    f"見出し「{col.header}」が2つあります（{seen[col.key]} と {cell.coordinate}）。どちらか一方にしてください",
                    file,
                    hrow,
                    f"{sheet}!{cell.coordinate} {col.header}",
                )
            )
            continue
        seen[col.key] = cell.coordinate
        found[c] = col
    problems += [
        Problem(f"必須の列「{col.header}」がありません", file, hrow, f"{sheet}!{hrow}行目 {col.header}")
        for col in columns
        if col.required and col.key not in seen
    ]
    return found, labelled


class _SheetRows:
    """The data rows of one sheet read into :class:`Row` objects; problems located at their cells."""

    def __init__(
        self,
        sheet: str,
        file: str,
        pref_code: str | None,
        respondent: str | None,
        problems: list[Problem],
        found: dict[int, Column],
        labelled: set[int],
        columns: Sequence[Column],
    ) -> None:
        self.sheet, self.file, self.pref_code, self.respondent = sheet, file, pref_code, respondent
        self.problems, self.found, self.labelled, self.columns = problems, found, labelled, columns
        self.rows: list[Row] = []
        self.first: dict[str, int] = {}

    def row(self, r: int, cells: dict[int, Cell]) -> None:
        self._unlabelled(r, cells)
        before = len(self.problems)
        flat, srcs = self._values(r, cells)
        if len(self.problems) > before:
            return
        ident = self._ident(r, flat, srcs)
        if ident is None:
            return
        row = Row(ident, flat, Source(self.file, self.sheet, r, respondent=self.respondent), srcs)
        _validate_row(row, self.sheet, self.problems)
        self.rows.append(row)

    def _unlabelled(self, r: int, cells: dict[int, Cell]) -> None:
        for c, cell in sorted(cells.items()):
            if c not in self.labelled and cell_text(cell.value) is not None:
                self.problems.append(
                    Problem(
                        "見出しのない列に値があります。見出しを付けるか、値を消してください",
                        self.file,
                        r,
                        f"{self.sheet}!{cell.coordinate}",
                        cell_text(cell.value),
                    )
                )

    def _cell(self, r: int, cell: Cell, col: Column) -> tuple[bool, Any]:
        """(read, value) of one cell: not read when empty or when it has a problem (recorded)."""
        where = f"{self.sheet}!{cell.coordinate} {col.header}"
        bad = unreadable_problem(cell, self.file, r, where)
        if bad is not None:
            self.problems.append(bad)
            return False, None
        if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
            self.problems.append(
                Problem("数式は使えません。値を入力してください", self.file, r, where, str(cell.value))
            )
            return False, None
        raw = cell_text(cell.value)
        if raw is None:
            return False, None
        why = _text_problem(raw)
        if why is not None:
            shown = None if why.startswith("文字が長すぎます") else raw
            self.problems.append(Problem(why, self.file, r, where, shown))
            return False, None
        try:
            return True, _parse_cell(col, raw, self.pref_code)
        except ValueError as err:
            self.problems.append(Problem(str(err), self.file, r, where, raw, getattr(err, "allowed", None)))
            return False, None

    def _values(self, r: int, cells: dict[int, Cell]) -> tuple[dict[str, Any], dict[str, Source]]:
        """The row's flat values (``terms.exists``; ``group:code`` columns gathered into the group's list)."""
        flat: dict[str, Any] = {}
        srcs: dict[str, Source] = {}
        groups: dict[str, list[str]] = {}
        for c, col in self.found.items():
            cell = cells.get(c)
            if cell is None:
                continue
            read, value = self._cell(r, cell, col)
            if not read:
                continue
            src = Source(self.file, self.sheet, r, cell.coordinate, col.header, self.respondent)
            if ":" in col.key:
                group, code = col.key.split(":", 1)
                groups.setdefault(group, [])
                if value:
                    groups[group].append(code)
                srcs.setdefault(group, src)
                continue
            flat[col.key] = value
            srcs[col.key] = src
        flat.update(groups)
        return flat, srcs

    def _ident(self, r: int, flat: dict[str, Any], srcs: dict[str, Source]) -> str | None:
        """The row's id; a missing or repeated one is a problem."""
        ident = flat.get("id")
        if not ident:
            idcol = next(col for col in self.columns if col.key == "id")
            self.problems.append(
                Problem(f"{idcol.header}がありません", self.file, r, f"{self.sheet}!{r}行目 {idcol.header}")
            )
            return None
        ident = str(ident)
        if ident in self.first:
            self.problems.append(
                Problem(
                    f"IDが重複しています（{self.first[ident]}行目と同じ）",
                    self.file,
                    r,
                    f"{self.sheet}!{srcs['id'].cell} {srcs['id'].header}",
                    ident,
                )
            )
            return None
        self.first[ident] = r
        return ident


def _column_for(row: Row, path: str) -> Source:
    """The source cell of a pydantic error path like ``terms.exists`` or ``components[0]``."""
    key = re.sub(r"\[\d+\]", "", path)
    while key:
        if key in row.cells:
            return row.cells[key]
        key = key.rpartition(".")[0]
    return row.source


def _validate_row(row: Row, sheet: str, problems: list[Problem]) -> None:
    from .inventory.models import Platform, Service
    from .inventory.yamlio import problems_from_validation

    model = Platform if sheet == SHEET_PLATFORMS else Service
    try:
        model.model_validate(_unfilled(row.values))
    except ValidationError as err:
        for p in problems_from_validation(err, None, row.source.file):
            src = _column_for(row, p.field or "")
            field_ = (
                f"{src.sheet}!{src.cell} {src.header}" if src.cell else f"{src.sheet}!{src.row}行目 {p.field}"
            )
            problems.append(Problem(p.message, src.file, src.row, field_, p.value, p.allowed))


def _unfilled(flat: dict[str, Any]) -> dict[str, Any]:
    return _unflatten(flat)


def read_hearing(path: str | os.PathLike[str], *, prefecture: str | None = None) -> Hearing:
    """Parse a filled hearing workbook.

    ``prefecture`` (name or code) is the prefecture the rows must belong to; by default the one the
    workbook names on its 説明 sheet. Raises :class:`InputError` with every problem located as file, row
    and ``field = "シート!セル 見出し"``. The workbook is streamed (:mod:`workbench.xlsx_stream`): its size,
    its XML, its columns and rows are capped and a workbook of any shape inside the caps reads in seconds.
    """
    file = str(path)
    problems: list[Problem] = []
    with StreamBook(path) as book:
        missing = [s for s in REQUIRED_SHEETS if s not in book.sheetnames]
        for s in missing:
            problems.append(
                Problem(
                    f"必須のシート「{s}」がありません（シート: {', '.join(book.sheetnames)}）",
                    file,
                    1,
                    f"シート「{s}」",
                )
            )
        want = reference.resolve_prefecture(prefecture)[0] if prefecture is not None else None
        code, respondent, cell = want, None, None
        if SHEET_INFO in book.sheetnames:
            info_rows = [
                (r, {c: x for c, x in cells.items() if c <= 2})
                for r, cells in book.rows(SHEET_INFO, last_row=40)
            ]
            code, respondent, cell = _info(info_rows, file, problems, want)
        hearing = Hearing(file, code, respondent, info_cell=cell)
        if not missing:
            hearing.platforms = _read_sheet(book, SHEET_PLATFORMS, file, code, respondent, problems)
            hearing.services = _read_sheet(book, SHEET_SERVICES, file, code, respondent, problems)
    if problems:
        raise InputError(problems)
    return hearing


# --- merging --------------------------------------------------------------------------------------


@dataclass
class Merged:
    """The merged rows of several workbooks: flat values by id, in first-seen order, with their sources."""

    platforms: dict[str, Row] = field(default_factory=dict)
    services: dict[str, Row] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)


_UNION = ("municipalities",)


def merge_hearings(
    hearings: Sequence[Hearing], *, prefer: Sequence[str | os.PathLike[str]] = (), on_conflict: str = "fail"
) -> Merged:
    """Merge parsed workbooks (see the module docstring for the rules); conflicts are returned, not raised.

    ``prefer``: files whose values win a conflict; ``on_conflict``: ``"fail"`` (keep the conflict in the
    result) or ``"first"`` (keep the value of the earlier workbook).
    """
    if on_conflict not in ("fail", "first"):
        raise ValueError(on_conflict)
    preferred = {os.path.realpath(str(p)) for p in prefer}
    out = Merged()
    for h in hearings:
        for kind, rows, target in (
            (SHEET_PLATFORMS, h.platforms, out.platforms),
            (SHEET_SERVICES, h.services, out.services),
        ):
            for row in rows:
                if row.id not in target:
                    target[row.id] = Row(row.id, dict(row.values), row.source, dict(row.cells))
                    continue
                have = target[row.id]
                for key, value in row.values.items():
                    src = row.cells.get(key, row.source)
                    old = merge_value(have, key, value, src, preferred, on_conflict, key in _UNION)
                    if old is not None:
                        out.conflicts.append(Conflict(kind, row.id, key, old, have.values[key], src, value))
    return out


# --- importing into the prefecture file -----------------------------------------------------------


@dataclass
class ImportResult:
    """What an import did: the saved file and the ids added or updated."""

    path: Path
    added: list[str]
    updated: list[str]
    files: list[str]

    def summary(self) -> str:
        lines = [f"{self.path} に {len(self.files)} 件のブックを取り込みました"]
        if self.added:
            lines.append("追加: " + ", ".join(self.added))
        if self.updated:
            lines.append("更新: " + ", ".join(self.updated))
        if not self.added and not self.updated:
            lines.append("変更はありません")
        return "\n".join(lines)


def _default(model: Any, key: str) -> Any:
    """The default of a flat key (``terms.exists``) of a model; a sentinel when it has none."""
    head, _, rest = key.partition(".")
    info = model.model_fields.get(head)
    if info is None:
        return _NONE
    if rest:
        sub = info.annotation
        sub = next((a for a in getattr(sub, "__args__", ()) if hasattr(a, "model_fields")), sub)
        return _default(sub, rest) if hasattr(sub, "model_fields") else _NONE
    if info.is_required():
        return _NONE
    return info.get_default(call_default_factory=True)


_NONE = object()


def _combine(
    existing: list[dict[str, Any]], merged: dict[str, Row], model: Any
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    by_id = {d.get("id"): i for i, d in enumerate(existing)}
    out = [dict(d) for d in existing]
    added, updated = [], []
    for ident, row in merged.items():
        if ident in by_id:
            base = _flatten(out[by_id[ident]])
            new = dict(base)
            for key, value in row.values.items():
                if key in _UNION and key in base:
                    new[key] = list(dict.fromkeys([*base[key], *value]))
                elif key not in base and value == _default(model, key):
                    continue  # a default shown on the prefilled sheet: not a change
                else:
                    new[key] = value
            if new != base:
                updated.append(ident)
            out[by_id[ident]] = _unflatten(new)
        else:
            out.append(_unflatten(row.values))
            added.append(ident)
    return out, added, updated


def import_hearings(
    files: Sequence[str | os.PathLike[str]],
    into: str | os.PathLike[str],
    *,
    prefer: Sequence[str | os.PathLike[str]] = (),
    on_conflict: str = "fail",
    dry_run: bool = False,
) -> ImportResult:
    """Read, merge and write filled workbooks into a prefecture file (created when it does not exist).

    Nothing is written when any workbook has a problem, when there is an unresolved conflict, when the
    result would not validate, or when the file changed on disk since it was read (StaleFileError).
    """
    from .inventory import yamlio

    target = Path(into)
    pref = yamlio.load(target) if target.exists() else None
    hearings = _read_hearings(files, pref.code if pref is not None else None)
    code = pref.code if pref is not None else _one_prefecture(hearings, files, target)
    merged = merge_hearings(hearings, prefer=prefer, on_conflict=on_conflict)
    if merged.conflicts:
        raise InputError([c.problem() for c in merged.conflicts])
    base = (
        yamlio.dump_data(pref) if pref is not None else {"prefecture": reference.resolve_prefecture(code)[1]}
    )
    new, added, updated = _validated(base, merged, pref, target)
    result = ImportResult(target, added, updated, [str(f) for f in files])
    if dry_run:  # every check of the real run (the save's read-back too), nothing written
        candidate = new
        if pref is not None:
            candidate = pref.model_copy()
            candidate.platforms, candidate.services = new.platforms, new.services
        yamlio.checked_yaml(candidate, target)
        return result
    if pref is not None and not result.added and not result.updated:
        return result  # nothing to write: the file stays byte-identical (no .bak either)
    if pref is not None:
        pref.platforms = new.platforms  # assignment keeps the loaded document (comments) and the digest
        pref.services = new.services
        yamlio.save(pref)
    else:
        yamlio.save(new, target, exclusive=True)  # a file someone created meanwhile is not overwritten
    return result


def _read_hearings(files: Sequence[str | os.PathLike[str]], code: str | None) -> list[Hearing]:
    """Every workbook read; the problems of all of them in one error."""
    hearings: list[Hearing] = []
    problems: list[Problem] = []
    for f in files:
        try:
            hearings.append(read_hearing(f, prefecture=code))
        except InputError as err:
            problems.extend(err.problems)
    if problems:
        raise InputError(problems)
    return hearings


def _one_prefecture(hearings: list[Hearing], files: Sequence[str | os.PathLike[str]], target: Path) -> str:
    """For a new file: the one prefecture the workbooks name (those that name none are read again for it)."""
    codes = {h.prefecture_code for h in hearings if h.prefecture_code}
    if len(codes) != 1:
        raise InputError.single(
            "取り込み先の都道府県が分かりません（ブックの説明シートに都道府県コードがないか、複数の都道府県が混在しています）",
            file=str(files[0]) if files else str(target),
            line=1,
            field=f"{SHEET_INFO}!B4 都道府県コード",
        )
    code = codes.pop()
    for h in hearings:
        if h.prefecture_code is None:
            h2 = read_hearing(h.file, prefecture=code)
            h.platforms, h.services, h.prefecture_code = h2.platforms, h2.services, code
    return code


def _validated(
    base: dict[str, Any], merged: Merged, pref: Any, target: Path
) -> tuple[Any, list[str], list[str]]:
    """The prefecture with the merged platforms and services, validated and cross-checked like a loaded
    file (problems pointed at the workbook cells); with the ids added and updated."""
    from .inventory import models, yamlio

    platforms, p_add, p_upd = _combine(base.get("platforms", []), merged.platforms, models.Platform)
    services, s_add, s_upd = _combine(base.get("services", []), merged.services, models.Service)
    data = {**base, "platforms": platforms, "services": services}
    try:
        new = models.Prefecture.model_validate(data)
    except ValidationError as err:
        raise InputError(
            _locate(yamlio.problems_from_validation(err, None, str(target)), merged, data, pref, target)
        ) from None
    found = [
        Problem(
            msg, str(target), None, field_path(loc), value if not isinstance(value, dict | list) else None
        )
        for loc, msg, value in models.cross_check(new)
    ]
    if found:
        raise InputError(_locate(found, merged, data, pref, target))
    return new, p_add + s_add, p_upd + s_upd


def _locate(
    problems: list[Problem], merged: Merged, data: dict[str, Any], pref: Any, target: Path
) -> list[Problem]:
    """Point problems about merged rows at the workbook cell they came from; the rest at the file."""
    out = []
    for p in problems:
        m = re.match(r"(platforms|services)\[(\d+)\]\.?(.*)", p.field or "")
        row = None
        if m:
            items = data[m.group(1)]
            i = int(m.group(2))
            ident = items[i].get("id") if i < len(items) else None
            rows = merged.platforms if m.group(1) == "platforms" else merged.services
            row = rows.get(ident)
        if row is not None:
            src = _column_for(row, m.group(3) if m else "")
            where = f"{src.sheet}!{src.cell} {src.header}" if src.cell else f"{src.sheet}!{src.row}行目"
            out.append(Problem(p.message, src.file, src.row, where, p.value, p.allowed))
        else:
            line = p.line
            if line is None and pref is not None and m is not None:
                from .inventory.yamlio import locate

                doc = getattr(pref, "_wb_doc", None)
                parts: list[str | int] = [
                    m.group(1),
                    int(m.group(2)),
                    *[x for x in m.group(3).split(".") if x],
                ]
                line = locate(doc, parts) if doc is not None else None
            out.append(Problem(p.message, p.file or str(target), line or 1, p.field, p.value, p.allowed))
    return out
