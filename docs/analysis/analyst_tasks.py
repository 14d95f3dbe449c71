"""An analyst's three tasks with the installed library, from any folder (docs/analysis.md shows it with its output).

Run by ``make docs`` (its output is on the page) and by tools/check_wheel.py with the wheel installed into a fresh
environment outside the checkout (``make test``). It uses only what the API reference documents.

1. a national table of all 47 prefectures: platforms, how far they reach, today's type, costs under two rules;
2. a 福島県 cost scenario built in code, compared across four rules with the fairness audit and a plotly chart;
3. a platform changed in code and classified again, a platform removed (refused), then a wrong file.
"""

from __future__ import annotations

from pathlib import Path

import workbench as wb
from workbench.charts import cost as cost_charts

print("== 1. 全国の一覧（47都道府県、均等割と人口割の費用） ==")
nat = wb.national_summary(rules=["equal", "population"])
print(nat)
df = nat.to_frame()
assert len(df) == 47 and not nat.errors, nat.errors
assert df["code"].str.fullmatch(r"\d{2}").all()  # codes are strings with their zeros
assert df["municipalities"].sum() == 1741  # the census: every municipality once
cols = ["code", "name", "current_type", "platforms", "population_coverage", "equal_max_share", "population_max_share"]
print(df[cols].head(8).to_string(index=False))
print("型の数:", df["current_type"].value_counts().head(5).to_dict())

print("\n== 2. 福島県の費用シナリオをコードで作り、4つのルールで比べる ==")
pref = wb.load_sample("07")
members = list(wb.reference.municipalities_of("07")["code"][:8])  # the first eight cities of the census list
pref.costs = wb.CostScenario(
    horizon_years=5,
    discount_rate=0.03,
    shared={"initial": 200_000_000, "annual_fixed": 30_000_000, "annual_per_member": 1_500_000},
    standalone={"initial": 60_000_000, "annual": 12_000_000},
    members=members,
    scheme="fukushima",  # the vision of the sample names it (wb.validate checks the two agree)
)
try:
    pref.costs.discount_rate = -2  # a wrong value is refused where it is assigned
except wb.InputError as err:
    print("代入の誤り:", err)
rules = ["equal", "population", "shapley", "nucleolus"]
comparison = wb.compare_rules(pref, rules)
shares = comparison.to_frame()
table = shares[shares["kind"] == "member"].pivot(index="name", columns="rule", values="share")
print((table[rules] / 10_000).round(0).astype(int).to_string())  # 万円
audit = wb.audit_rules(pref, rules)
print(audit.to_frame()[["rule", "individually_rational", "in_core", "monotonic"]].to_string(index=False))
fig = cost_charts.shares_by_rule(comparison)
out = Path("fukushima_rules.html")
fig.write_html(out, include_plotlyjs=True)
print(f"グラフ: {out}（{len(fig.data)} 系列）")
print(comparison)

print("\n== 3. 基盤をコードで変えて分類し直す・参照切れと誤ったファイル ==")
pref = wb.load_sample("09")  # 栃木県: 那須塩原市 runs its platform alone (型1.4)
before = wb.classify(pref).current_type
nasu = pref.platform("nasushiobara")
nasu.municipalities = list(wb.reference.municipalities_of("09")["code"][:5])  # four neighbours join it
nasu.user_scope = "prefectural"
after = wb.classify(pref)
print(f"今の型: {before} → {after.current_type}")
print(after.to_frame()[["platform", "user_scope", "municipalities", "shared_type", "before_type"]].to_string(index=False))
try:
    nasu.user_scope = "nationwide"
except wb.InputError as err:
    print("代入の誤り:", err)
pref.platforms.remove(nasu)  # services still point at it
try:
    wb.validate(pref)
except wb.InputError as err:
    print(f"wb.validate: {len(err.problems)} 件の問題。最初の行:", str(err).splitlines()[0])
try:
    wb.classify(pref)
except wb.InputError as err:
    print("wb.classify も同じ理由で止まります:", err.problems[0].label)
bad = Path("wrong.yaml")
bad.write_text(
    "prefecture: 福島県\nplatforms:\n  - id: p1\n    name: 県の基盤\n    operated_by: prefecture\n"
    "    user_scope: 全国\n",
    encoding="utf-8",
)
try:
    wb.load(bad)
except wb.InputError as err:
    print("誤ったファイル:", err)
try:
    wb.load_sample("99")
except wb.InputError as err:
    print("サンプル:", str(err).split("（値")[0])
print("\nOK")
