"""The national view: classify, auth matching and every cost rule for one prefecture file per prefecture,
summarised one row per prefecture (issue: national view and benchmarks).

Prefectures without a sample file use the deterministic synthetic file of :mod:`workbench.synth`; the row
says so (``synthetic``), so synthetic figures are never mistaken for surveyed ones.

:func:`national_summary` (``wb.national_summary``) is the analysts' entry: a :class:`NationalSummary` whose
``to_frame()`` has snake_case columns (:data:`COLUMNS`, and three per chosen rule) and whose
``to_staff_frame()`` has the Japanese headers the command line's CSV and workbook use (:data:`COLUMNS_JA`).
:func:`run_batch` is the same table as a plain ``(DataFrame, errors)`` pair.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from . import reference
from .errors import InputError
from .inventory import Prefecture
from .inventory.checks import checked, trusted
from .results import Result

#: the rules run in the national batch (every rule of data/cost_rules.csv whose data every file has)
Progress = Callable[[int, int, str], None]

#: the columns of the national table (:meth:`NationalSummary.to_frame`), with what each holds
COLUMNS = {
    "code": "JIS prefecture code, 2 digits",
    "name": "prefecture name",
    "synthetic": "True when the file is the synthetic one (no sample, no file of yours in ``folder``)",
    "municipalities": "number of municipalities (2020 census)",
    "population": "population (2020 census)",
    "platforms": "number of platforms in the file",
    "platforms_running": "of which running",
    "covered_municipalities": "municipalities of the prefecture that use at least one running platform",
    "covered_population": "their population (2020 census)",
    "municipality_coverage": "covered_municipalities / municipalities",
    "population_coverage": "covered_population / population",
    "current_type": 'today\'s type ("2.8", "1.3+1.5" …; None when it cannot be determined)',
    "auth": "number of personal authentication services",
    "non_personal": "number of non-personal data platforms",
    "personal": "number of personal data platforms",
    "pattern": "A | B | C | D | link | none",
    "pattern_label": "the pattern's name (none with its reason: 該当なし（運用中の基盤はすべて共同利用中）…)",
    "after_type": "the target's 型2.x, or None",
    "issues": "number of issues",
    "issues_high": "of which of high severity",
    "services_unsatisfied": "services whose platform's levels do not cover their need",
    "federation_unaligned": "auth-federated pairs whose levels differ",
    "members": "members of the cost scenario (None without ``costs:``)",
    "shared_total": "present value of the shared cost (yen)",
    "standalone_total": "present value of every member going alone (yen)",
    "saving_ratio": "1 − shared_total / standalone_total",
    "prefecture_part": "the prefecture's part (yen, present value)",
    "rules_not_ir": "codes of the rules under which a member pays more than alone, joined by ``|``",
    "rules_in_core": "codes of the rules whose allocation is in the core, joined by ``|``",
    "least_core_epsilon": "the least core's ε (yen; negative: the core is empty)",
    "seconds": "time taken for the prefecture (s)",
}

#: the three columns added for each rule of ``rules`` (``shapley_municipal_total`` …)
RULE_COLUMNS = {
    "municipal_total": "what the municipalities pay together under the rule (yen, present value)",
    "max_share": "the largest member's share under the rule (yen)",
    "above_standalone": "members paying more than alone under the rule",
}
RULE_COLUMNS_JA = {
    "municipal_total": "市区町村の負担合計（円）",
    "max_share": "最も大きい負担（円）",
    "above_standalone": "単独より高い団体数",
}

COLUMNS_JA = {
    "code": "コード",
    "name": "都道府県",
    "synthetic": "合成データ",
    "municipalities": "市区町村数",
    "population": "人口（2020）",
    "platforms": "基盤数",
    "platforms_running": "運用中の基盤数",
    "covered_municipalities": "基盤を利用する市区町村数",
    "covered_population": "基盤を利用する市区町村の人口",
    "municipality_coverage": "市区町村の利用率",
    "population_coverage": "人口の利用率",
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


def coverage(pref: Prefecture) -> dict[str, Any]:
    """Platforms, and the municipalities of the prefecture (and their 2020 population) that use at least one
    running platform (:meth:`Prefecture.users_of`; members of other prefectures are not counted)."""
    prefs = reference.prefectures().set_index("code")
    munis = reference.municipalities_of(pref.code)
    pops = dict(zip(munis["code"], munis["population_2020"], strict=True))
    running = [p for p in pref.platforms if p.status == "running"]
    covered = {c for p in running for c in pref.users_of(p) if c in pops}
    n, pop = int(prefs.loc[pref.code, "municipalities"]), int(prefs.loc[pref.code, "population_2020"])
    covered_pop = int(sum(pops[c] for c in covered))
    return {
        "municipalities": n,
        "population": pop,
        "platforms": len(pref.platforms),
        "platforms_running": len(running),
        "covered_municipalities": len(covered),
        "covered_population": covered_pop,
        "municipality_coverage": len(covered) / n if n else None,
        "population_coverage": covered_pop / pop if pop else None,
    }


@checked
def summarize(
    pref: Prefecture, *, rules: Iterable[str] | None = None, costs_under: Iterable[str] = ()
) -> dict[str, Any]:
    """One prefecture's row of the national summary (columns: :data:`COLUMNS`; with ``costs_under``, the
    three :data:`RULE_COLUMNS` of each of those rules, ``{rule}_municipal_total`` …).

    A prefecture changed in code is checked once on entry (:func:`workbench.validate`), not again by each
    analysis it runs (classify, auth, the audit, every allocation)."""
    from . import cost
    from .auth import match_auth
    from .classify import classify
    from .cost.audit import audited_allocations

    t0 = time.perf_counter()
    c = classify(pref)
    a = match_auth(pref)
    row: dict[str, Any] = {
        "code": pref.code,
        "name": pref.name,
        "synthetic": pref.synthetic,
        **coverage(pref),
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
        # the audit's own allocations (one cost model): each is what cost.allocate(pref, rule) gives
        report, allocations = audited_allocations(pref, list(rules) if rules is not None else None)
        shap = allocations["shapley"] if "shapley" in allocations else cost.allocate(pref, rule="shapley")
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
        for rule in costs_under:
            alloc = allocations[rule] if rule in allocations else cost.allocate(pref, rule=rule)
            shares = [m.share for m in alloc.members]
            row[f"{rule}_municipal_total"] = round(sum(shares))
            row[f"{rule}_max_share"] = round(max(shares)) if shares else None
            row[f"{rule}_above_standalone"] = sum(not m.individually_rational for m in alloc.members)
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


def _summarize_loaded(pref: Prefecture, *, costs_under: Iterable[str]) -> dict[str, Any]:
    """:func:`summarize` of a prefecture just read from its file: reading it ran every check, so neither
    :func:`summarize` nor the analyses it runs check it again (validating a whole prefecture took as long as
    classifying it)."""
    with trusted(pref):
        return summarize(pref, costs_under=costs_under)


#: the youngest generation's threshold while the batch runs (Python's default is 700)
BATCH_GC_THRESHOLD = 10_000


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """While the batch runs: what was alive before it (modules, reference tables) out of the collector's sight
    (:func:`gc.freeze`, undone at the end, unless the caller froze objects itself: a dashboard kernel's frozen
    baseline is left as it is) and the youngest generation collected after 10,000 new objects instead of 700.
    Garbage collections took 0.4 s of the national batch's 3 s (CPU, B1), 0.04 s with both. Nothing is left
    uncollected: the objects the batch makes are collected as usual, only less often."""
    old = gc.get_threshold()
    froze = gc.get_freeze_count() == 0
    if froze:
        gc.freeze()
    gc.set_threshold(max(old[0], BATCH_GC_THRESHOLD), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        if froze:
            gc.unfreeze()


def run_batch(
    codes: Iterable[str] | None = None,
    *,
    folder: Path | None = None,
    progress: Progress | None = None,
    rules: Iterable[str] = (),
) -> tuple[pd.DataFrame, list[str]]:
    """Summaries for the given prefectures (default: all 47). Returns the table (columns: :data:`COLUMNS`, and
    the :data:`RULE_COLUMNS` of each of ``rules``) and the located errors of files that could not be used, one line
    each naming the file and the reason (those prefectures are left out of the table, not guessed; the others
    finish): a file that does not load, a file of another prefecture under this one's number, two files of one
    number, or a computation that failed. :func:`national_summary` wraps it in a result.

    Parameters
    ----------
    codes : iterable of str, optional
        Prefecture codes or names; default all 47.
    folder : Path, optional
        A folder of your own prefecture files (``NN_*.yaml``); prefectures without one use the sample, else
        the synthetic file (:func:`workbench.synth_dir`).
    progress : callable, optional
        Called ``progress(i, n, code)`` after each prefecture.
    rules : iterable of str
        Rule codes whose costs get three columns each (``{rule}_municipal_total``, ``{rule}_max_share``,
        ``{rule}_above_standalone``).

    Examples
    --------
    >>> from workbench.batch import run_batch
    >>> df, errors = run_batch(["07", "09"], rules=["equal"])
    >>> df[["code", "current_type", "equal_above_standalone"]].values.tolist(), errors
    ([['07', '2.8', 0], ['09', '1.4', 0]], [])
    """

    rules = [_rule(r) for r in rules]

    todo = (
        [reference.resolve_prefecture(c)[0] for c in codes]
        if codes
        else list(reference.prefectures()["code"])
    )
    rows, errors = [], []
    with fewer_collections():
        for i, code in enumerate(todo, 1):
            try:
                rows.append(_summarize_loaded(_load_for(code, folder), costs_under=rules))
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
    columns = [*COLUMNS, *(f"{r}_{k}" for r in rules for k in RULE_COLUMNS)]
    return pd.DataFrame.from_records(rows, columns=columns), errors


def _rule(rule: str) -> str:
    from .cost.rules import check_rule

    return check_rule(rule)


def columns_ja(columns: Iterable[str]) -> dict[str, str]:
    """The Japanese headers of the national table's columns (the CSV and workbook for offices): :data:`COLUMNS_JA`,
    and 「シャープレイ値：市区町村の負担合計（円）」 for a rule's column."""
    labels = reference.table("cost_rules.csv").set_index("code")["label_ja"]
    out = {}
    for col in columns:
        if col in COLUMNS_JA:
            out[col] = COLUMNS_JA[col]
            continue
        for key, ja in RULE_COLUMNS_JA.items():
            rule = col.removesuffix(f"_{key}")
            if rule != col and rule in labels.index:
                out[col] = f"{labels[rule]}：{ja}"
    return out


class NationalSummary(Result):
    """The national table: one row per prefecture with its platforms, how far they reach (municipalities and
    population), today's type, and the cost under the chosen rules.

    ``rows`` are the table's rows; ``errors`` the located errors of files that could not be read (left out,
    not guessed); ``rules`` the rule codes whose costs have columns of their own.

    Examples
    --------
    >>> import workbench as wb
    >>> nat = wb.national_summary(["09"], rules=["shapley"])
    >>> print(nat)
    全国サマリー：1 都道府県（うち合成データ 0 県）
      基盤 2 件（運用中 1 件）
    ...
    >>> nat.to_staff_frame().columns[:3].tolist()
    ['コード', '都道府県', '合成データ']
    """

    rows: list[dict[str, Any]]
    errors: list[str] = []
    rules: list[str] = []

    FRAME_COLUMNS: ClassVar[dict[str, str]] = {
        **COLUMNS,
        **{f"{{rule}}_{k}": v for k, v in RULE_COLUMNS.items()},
    }

    def to_frame(self) -> pd.DataFrame:
        """One row per prefecture, snake_case columns (:data:`COLUMNS`, then ``{rule}_municipal_total``,
        ``{rule}_max_share``, ``{rule}_above_standalone`` for each rule of :attr:`rules`), codes as strings."""
        columns = [*COLUMNS, *(f"{r}_{k}" for r in self.rules for k in RULE_COLUMNS)]
        df = pd.DataFrame.from_records(self.rows, columns=columns)
        return df.astype({"code": str, "synthetic": bool})

    def to_staff_frame(self) -> pd.DataFrame:
        """The same table as staff file it, as the command line's CSV and workbook write it
        (:func:`staff_frame`)."""
        return staff_frame(self.to_frame())

    def totals(self) -> dict[str, Any]:
        """Totals over the table (:func:`national_totals`)."""
        return national_totals(self.to_frame())

    def summary_lines(self) -> list[str]:
        from .text import money_ja

        df = self.to_frame()
        if df.empty:
            return ["全国サマリー（読める都道府県ファイルがありません）", *self.errors[:3]]
        n, pop = int(df["municipalities"].sum()), int(df["population"].sum())
        cm, cp = int(df["covered_municipalities"].sum()), int(df["covered_population"].sum())
        labels = reference.table("cost_rules.csv").set_index("code")["label_ja"]
        lines = [
            f"全国サマリー：{len(df)} 都道府県（うち合成データ {int(df['synthetic'].sum())} 県）",
            f"基盤 {int(df['platforms'].sum()):,} 件（運用中 {int(df['platforms_running'].sum()):,} 件）",
            f"運用中の基盤を利用する市区町村 {cm:,} / {n:,}（{cm / n:.0%}）・人口 {cp / pop:.0%}",
            f"共同利用の費用の合計（現在価値）: {money_ja(df['shared_total'].sum())}",
        ]
        lines += [
            f"{labels.get(r, r)}: 市区町村の負担合計 {money_ja(df[f'{r}_municipal_total'].sum())}・"
            f"単独より高い団体 {int(df[f'{r}_above_standalone'].sum()):,}"
            for r in self.rules
        ]
        if self.errors:
            lines.append(f"読めなかったファイル {len(self.errors)} 件")
        return lines

    def card_title(self) -> str:
        return self.summary_lines()[0]


def national_summary(
    codes: Iterable[str] | None = None,
    *,
    rules: Iterable[str] = ("shapley", "population"),
    folder: Path | None = None,
    progress: Progress | None = None,
) -> NationalSummary:
    """The national table: classification, authentication and costs for every prefecture (default all 47), with
    what an analyst asks first — platform counts, how many municipalities and people the running platforms
    reach, and the cost under the chosen rules.

    Parameters
    ----------
    codes : iterable of str, optional
        Prefecture codes or names (default: all 47).
    rules : iterable of str
        Rule codes (data/cost_rules.csv) whose costs get columns of their own.
    folder : Path, optional
        A folder of your own files ``NN_*.yaml``; other prefectures use the sample or the synthetic file
        (written once into :func:`workbench.synth_dir`).
    progress : callable, optional
        ``progress(i, n, code)`` after each prefecture.

    Returns
    -------
    NationalSummary
        ``to_frame()``: one row per prefecture, columns :data:`COLUMNS` then ``{rule}_municipal_total``,
        ``{rule}_max_share``, ``{rule}_above_standalone`` per rule; ``to_staff_frame()`` the Japanese headers;
        ``errors``: files that could not be read.

    Examples
    --------
    >>> import workbench as wb
    >>> nat = wb.national_summary(["07", "24"], rules=["equal", "population"])
    >>> df = nat.to_frame()
    >>> df[["code", "platforms", "covered_municipalities", "municipalities"]].values.tolist()
    [['07', 2, 10, 59], ['24', 1, 5, 29]]
    >>> "equal_municipal_total" in df.columns and "population_max_share" in df.columns
    True
    """
    rules = [_rule(r) for r in rules]
    df, errors = run_batch(codes, folder=folder, progress=progress, rules=rules)
    rows = [{k: (None if _missing(v) else v) for k, v in r.items()} for r in df.to_dict("records")]
    return NationalSummary(rows=rows, errors=errors, rules=rules)


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def staff_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The national summary as staff file it (CSV, xlsx): Japanese headers (:func:`columns_ja`), ○/— for
    yes/no, patterns and rules by their labels, the saving as a percentage, money in whole 円."""
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
    money = ["shared_total", "standalone_total", "prefecture_part", "least_core_epsilon"]
    money += [c for c in out.columns if c.endswith(("_municipal_total", "_max_share"))]
    for col in money:
        if col in out:
            out[col] = out[col].map(
                lambda v: int(round(v)) if isinstance(v, int | float) and v == v else None
            )
    out = out.drop(columns=["seconds", "pattern_label"], errors="ignore")
    return out.rename(columns=columns_ja(out.columns))


def national_totals(df: pd.DataFrame) -> dict[str, Any]:
    """Totals over the national table (municipalities and population must match the census)."""
    return {
        "prefectures": int(df["code"].nunique()),
        "municipalities": int(df["municipalities"].sum()),
        "population": int(df["population"].sum()),
        "synthetic": int(df["synthetic"].sum()),
        "types": df["current_type"].value_counts().to_dict(),
    }
