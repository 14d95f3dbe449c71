"""Build the Step notebooks and the Voila dashboards from this script (so they are reproducible), execute
them, strip the widget state and write them executed, so nbval can compare their outputs.

    .venv/bin/python tools/build_notebooks.py              # write + execute notebooks/, dashboards/, examples
    .venv/bin/python tools/build_notebooks.py --no-execute # write sources only
    .venv/bin/python tools/build_notebooks.py --check      # exit 1 when a committed notebook's sources differ

Layout:
  notebooks/00_はじめに.ipynb … 03_Step3_実行計画.ipynb     executed for the default sample (福島県, 07)
  notebooks/examples/<code>/…                              the same, executed with PREFECTURE injected
                                                          (papermill style ``injected-parameters`` cell)
  dashboards/県の全体像.ipynb, 費用負担シミュレーター.ipynb, 認証レベル.ipynb, データの流れ.ipynb   sources only, never executed
                                                          here: Voila runs them; nbval runs them too

Execution runs with HOME and WORKBENCH_OUTPUT in a temporary folder, so nothing outside the notebook files
changes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
DASHBOARDS = ROOT / "dashboards"
EXAMPLES = NOTEBOOKS / "examples"
EXAMPLE_PREFECTURES = ["09"]  # executed copies besides the default 07 (栃木県: a second sample)
#: nbval's cell tags (never ``# NBVAL_…`` comments: staff read the code cells)
CHECK = "nbval-check-output"
IGNORE = "nbval-ignore-output"
TIMEOUT = 300

PARAMS = """# パラメータ（papermill 形式）。None のときは環境変数 WORKBENCH_PREFECTURE、なければ福島県（07）
PREFECTURE = None
OUTPUT_DIR = None  # 出力先。None のときは環境変数 WORKBENCH_OUTPUT、なければ output/"""

SETUP = """import workbench as wb
from workbench.staff import table
from workbench.widgets import (  # 編集画面・カード・グラフ
    ClassificationCard, CostSimulator, DataFlowPanel, PlanEditor, PlatformEditor, PlatformView,
    ServiceEditor, Session, TypeFlowchart, VisionCard, VisionEditor,
)
from workbench.widgets.notebook import chart, exported, notebook_prefecture, output_dir, summary, working_copy

code = notebook_prefecture(PREFECTURE)
out = output_dir(OUTPUT_DIR)
path = working_copy(code, out)  # 編集はこのコピーに保存され、同梱のサンプルは変わりません
session = Session.from_file(path)
pref = session.pref
print(f"{pref.name}（{pref.code}）: {path.name}" + ("（合成データ）" if pref.synthetic else ""))"""


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(
    text: str,
    *,
    check: bool = False,
    ignore: bool = False,
    tags: list[str] | None = None,
    hidden: bool | None = None,
):
    """A code cell; ``check``/``ignore`` become nbval's cell tags. ``hidden``: its source folded away in
    JupyterLab (plumbing staff need not read; a click shows it). By default a cell of more than two lines is
    folded; the ``parameters`` cell never is."""
    source = text.strip("\n")
    cell = new_code_cell(source)
    tags = [*(tags or []), *([CHECK] if check else [IGNORE] if ignore else [])]
    if tags:
        cell.metadata["tags"] = tags
    if hidden is None:
        hidden = len(source.splitlines()) > 2 and "parameters" not in tags
    if hidden:
        cell.metadata["jupyter"] = {"source_hidden": True}
    return cell


def params_cell():
    return code(PARAMS, tags=["parameters"], hidden=False)


# --- the four notebooks -------------------------------------------------------------------------------------


def nb_intro() -> list:
    return [
        md("""
# 共同利用ワークベンチ：はじめに

このワークベンチは、デジタル庁「データ連携基盤の共同利用ガイド」の進め方に沿って、都道府県と市区町村が
**データ連携基盤の共同利用**を検討するための道具です。ガイドは次の3つのステップを求めています。

| ステップ | ガイドが求めること | ノートブック |
|---|---|---|
| Step 1 都道府県下の状況把握 | 全市区町村へのヒアリング、基盤数（非パーソナル・パーソナルを別々に）、基盤ごとの俯瞰図・属性・詳細イメージ・課題リスト | `01_Step1_現状把握` |
| Step 2 目的の設定とビジョンの策定 | 共同利用の目的、目指す型（型2.x）、運営組織、費用負担、KPI | `02_Step2_ビジョン策定` |
| Step 3 実行計画の策定及び実行 | 取組事項の洗い出し、スケジュール、運営組織の立ち上げ | `03_Step3_実行計画` |

## 使い方
1. **都道府県ファイル**（YAML）に、ヒアリング結果（基盤・サービス・目標・費用）を書きます。日本語ラベルでもコードでも書けます。
2. 下の `PREFECTURE` に都道府県名またはコード（例 `"09"`、`"栃木県"`）を入れるか、`make notebooks PREF=09` で始めます。
   サンプルのない県は合成データ（実在しない基盤）で動き、カード・グラフの題名・資料のすべてに「合成データ」と出ます。
3. メニューの「実行」→「すべてのセルを実行」で、Step 1〜3 のノートブックを順に実行します。編集画面やグラフは、セルを実行すると
   表示されます（保存して開き直したときや、ブラウザを更新したときも、もう一度実行します）。
4. 各ノートブックの最後で結果を書き出し、そのファイルへのリンクを表示します（Word・Excel・PowerPoint はダウンロード、
   HTML・CSV は JupyterLab で開きます）。左のファイル一覧の「書き出し」フォルダにも入っています。
5. 会議では Voila のダッシュボード（`make dashboards`）を使います。URL に `?pref=07` を付けて送れます。

数字はすべてテスト済みのライブラリ関数が計算し、根拠（ガイドの節・出典・「入力値」）を添えて表示します。
"""),
        params_cell(),
        code(SETUP),
        md("""
## 読み込んだ都道府県ファイル
基盤（データ連携基盤）とサービスの数です。基盤ごとの属性はガイド 3.4 の定義に従います。
"""),
        code(
            """print(f"基盤 {len(pref.platforms)} 件、サービス {len(pref.services)} 件、目標 {'あり' if pref.target else 'なし'}、"
      f"費用シナリオ {'あり' if pref.costs else 'なし'}")""",
            check=True,
        ),
        md("""
## 基盤とサービスの編集
下の編集画面で基盤を追加・編集・削除できます。プルダウンには日本語のラベルが表示され、ファイルにはコードが保存されます。
複数を選ぶ項目（構成、本人確認手段、利用団体など）はボタンで、押すたびにその1つを選ぶ・外すが切り替わり、選んだものは上に書き出されます。
誤った値は項目の横に赤字で表示され、ファイルは変わりません。「適用」すると自動保存の版が残り（「この版に戻す」で戻せます）、
「ファイルに保存」で作業用コピーに安全に（一時ファイル経由で）保存します。Step 1 のノートブックでも同じ編集画面が使えます。
"""),
        code(
            "PlatformEditor(session)",
            ignore=True,
        ),
        code("ServiceEditor(session)", ignore=True),
        md("""
## 都道府県ファイルの作業用コピー
編集はこのコピーに保存されます（同梱のサンプルは変わりません）。Step 1〜3 のノートブックも同じコピーを使います。
"""),
        code("""exported(path)""", ignore=True),
    ]


def nb_step1() -> list:
    return [
        md("""
# Step 1 都道府県下の状況把握

ガイド 3.1 Step 1 は、都道府県がすべての市区町村にヒアリングし、**基盤の数**を非パーソナルとパーソナルに分けて数えることから
始まります。基盤が0件なら Step 2 へ進みます。基盤があれば、基盤ごとに

- **俯瞰図**（基盤、その上のサービス、提供者と利用者）
- **状態・性能**（ガイド 3.4 の属性）
- **詳細イメージ**
- **課題リスト**

をまとめます。最後に、今の状態が共同利用の**型**（型1.x／型2.x）のどれにあたり、目指す型2.4へどの**パターン**（A〜D）で進むかを判定します。
パターンは共同利用前（型1.x）の基盤を共同利用へ移す進め方です。基盤がすべて共同利用中なら「該当なし」で、型2.4までの道筋を示します。
"""),
        params_cell(),
        code(SETUP),
        md("""
## ヒアリング結果：基盤の数
運用中の基盤だけを数えます（構築中・計画中は数えません）。
"""),
        code(
            """result = wb.classify(pref)
print("個人認証サービス:", result.counts.auth)
print("非パーソナル基盤:", result.counts.non_personal)
print("パーソナル基盤:", result.counts.personal)""",
            check=True,
        ),
        md("""
## 全体の状況
基盤数のグラフ、市区町村の地図（位置・人口・利用する基盤）、市区町村の人口と基盤の利用、型2.4への道筋、課題リストです。
下の「基盤とサービスの編集」で適用すると、ここもすぐに描き直されます。地図の円にカーソルを合わせると、名前・人口・利用する基盤が出ます。
"""),
        code(
            "ClassificationCard(session)",
            ignore=True,
        ),
        md("""
## 基盤ごとの俯瞰図・属性・詳細イメージ・課題
基盤をプルダウンで選びます。
"""),
        code(
            "PlatformView(session)",
            ignore=True,
        ),
        md("""
## 基盤とサービスの編集
ヒアリングの結果を直します。「適用」すると上の全体の状況と基盤ごとの表示がすぐ更新され、自動保存の版が残ります。
「ファイルに保存」で作業用コピーに保存します（次に開いたとき・Step 2 と Step 3 もこの内容で始まります）。
"""),
        code(
            "PlatformEditor(session)",
            ignore=True,
        ),
        code("ServiceEditor(session)", ignore=True),
        md("""
## 属性の一覧（ガイド 3.4）
ファイルを読み込んだ時点の一覧です（編集を反映するには、保存してからもう一度実行します）。
"""),
        code("table(result.to_staff_frame(), transpose=True)  # 基盤ごとに1列"),
        md("""
## 課題リスト
重要度の高い順です。「根拠」はガイド・ガイドブックの該当箇所です（課題にカーソルを合わせると分析用のコードが出ます）。
"""),
        code("table(result.issues_frame())"),
        md("""
## データの流れ（データマップ）
デジタル庁「データマップ作成フォーマット」の2つの視点（サービス側・データアセット側、ガイドブック 11.2）で、どのデータが
どの基盤を通ってどのサービスに届くかを整理します。分野をまたぐ流れ（ガイド 4）、自治体標準オープンデータの組合せから見た
連携の候補（ガイドブック 11.3）、標準データモデルへの準拠（ガイドブック 10.3）、公開API（ガイド 4.3）を示し、気になる点は
課題リストにも入ります。記入用の Excel は `workbench datamap-sheet`、取り込みは `workbench import-datamap` です。
"""),
        code(
            """dm = wb.datamap(pref)
print(summary(dm, pref))""",
            check=True,
        ),
        code(
            "DataFlowPanel(session)",
            ignore=True,
        ),
        md("""
分野をまたぐ流れと、データマップから見つかった課題です。
"""),
        code("table(dm.cross_frame())"),
        code("table(dm.findings_frame())"),
        md("""
## 型とパターン
今の型（共同利用前は型1.x、共同利用中は型2.x）と、目指す型へのパターン、型2.4までの道筋です。
"""),
        code(
            """print("現在の型:", result.current_text, result.current_label)
print(result.current_reason)
print("パターン:", result.pattern_text())
print("目指す型:", f"型{result.after.type}" if result.after else "未設定")
print("型2.4への道筋:", " → ".join(s.text() for s in result.path_to_goal))
print("課題:", len(result.issues), "件")""",
            check=True,
        ),
        code(
            "table(result.arrangements_frame())  # 今の型の内訳: 共同利用の単位ごとの型2.x と、単独運営の基盤の型1.x"
        ),
        md("""
## 書き出し
分類結果（JSON）、課題リスト（CSV）、データマップの分析（xlsx）と公開API一覧（HTML）を出力先フォルダに書き出します。
上の編集画面で適用した内容で書き出します。
"""),
        code(
            """from workbench.exports import frame_csv
from workbench.report_datamap import write_api_html, write_tables_xlsx
from workbench.staff import file_names
from workbench.text import synthetic_note

pref, result, dm = session.pref, session.classification(), wb.datamap(session.pref)  # 編集後の内容
names = file_names(pref)  # 書き出しは名前で（ID ではなく）
(out / f"step1_{pref.code}.json").write_text(result.model_dump_json(indent=2), encoding="utf-8")
written = frame_csv(result.issues_frame(), out / f"step1_{pref.code}_課題リスト.csv")
tables = write_tables_xlsx(dm, out / f"step1_{pref.code}_データマップ.xlsx", names, note=synthetic_note(pref))
apis = write_api_html(dm, out / f"step1_{pref.code}_公開API一覧.html", names=names)
exported(out / f"step1_{pref.code}.json", written, tables, apis)""",
            ignore=True,
        ),
    ]


def nb_step2() -> list:
    return [
        md("""
# Step 2 目的の設定とビジョンの策定

ガイド 3.1 Step 2 では、共同利用の**目的**（調査では コスト削減 10/10、広域でのDX化推進 4/10、サービスの共同利用促進 3/10）を定め、
**目指す型**を選び、**共同利用ビジョン**を書きます。ビジョンには運営組織（直列型・並列型・外部組織型、ガイド 2.7）、
費用負担の考え方、KPI を含めます。
"""),
        params_cell(),
        code(SETUP),
        md("""
## ビジョンの要点
"""),
        code(
            """from workbench.plan import vision

v = vision(pref)
print(summary(v, pref))""",
            check=True,
        ),
        md("""
## ビジョンの編集
目的・ビジョンの文章・運営組織・費用按分ルール・KPI を選びます。「適用」すると下のビジョンのカードと図がすぐ更新され、
自動保存の版が残ります。「ファイルに保存」で作業用コピーに保存します。KPI の備考には、値が事実か仮定かを書いておきます。
"""),
        code(
            "VisionEditor(session)",
            ignore=True,
        ),
        code("VisionCard(session)", ignore=True),
        md("""
## 目的と課題（調査 10 団体の回答）
"""),
        code(
            """from workbench.charts.plan import survey_bars

chart(survey_bars(v))""",
            ignore=True,
        ),
        md("""
## 目指す型と道筋
フローチャートの太線が、この県がたどる道筋です。
"""),
        code(
            "TypeFlowchart(session)",
            ignore=True,
        ),
        md("""
## 目指す型の選択肢と推奨（ガイド 3.2）
ガイド 3.2 では、今の状態（出発点）で選べる姿が決まります。選択肢ごとに、評価期間の費用（県・市町村）、現状維持との差、
認証レベルの不足と埋める手段、到達までの期間、満たす基本的な考え方、リスク、決めていただきたいことを並べ、一つを推奨します。
基準の重みは下のスライダーで変えられます（既定は本ツールの読み）。ファイルが選択肢の費用を書いていない基盤の費用は、
ガイド 2.5 の調査結果から推計した範囲（推計）で示します。
"""),
        code(
            """from workbench.options import options

opts = options(pref)
print(opts)
display(table(opts.to_staff_frame()))""",
            check=True,
        ),
        code(
            """from workbench.widgets import OptionsPanel

OptionsPanel(session)""",
            ignore=True,
        ),
        md("""
## 運営組織と KPI
"""),
        code("table(v.organisation_frame())"),
        code("table(v.kpis_frame())"),
        md("""
## 分野横断の目標（データマップから）
データ連携基盤の価値は「分野を超えてデータの利活用を可能とし分野横断型のサービスを実現できる点」にあります（ガイド 4）。
データマップから、分野をまたぐ流れ・連携の候補・不足データ・活用の次の段階を目標の候補として示し、測れる KPI の現状値を添えます。
"""),
        code(
            """if v.cross_field is None:
    print("この都道府県ファイルにはデータマップがありません")
else:
    display(table(v.cross_field.to_staff_frame()))
    display(table(v.cross_field.kpis_frame()))""",
        ),
        md("""
## 費用負担の比較（費用シナリオがある場合）
配分ルールと県の負担割合を変えると、各団体の負担と公平性の判定がその場で変わります。
"""),
        code(
            "CostSimulator(session)",
            ignore=True,
        ),
        md("""
ビジョンで選んだ費用按分ルール（未設定ならシャープレイ値）による負担の合計です。
"""),
        code(
            """from workbench.cost import allocate
from workbench.text import money_ja

if pref.costs is None:
    print("費用の前提がありません")
else:
    a = allocate(pref, rule=v.cost.rule or "shapley")
    print(f"配分ルール: {a.rule_label}")
    print(f"共同利用の費用（現在価値）: {money_ja(a.total, '円')}（{money_ja(a.total)}）")
    print(f"県の負担: {money_ja(a.prefecture, '円')}（{money_ja(a.prefecture)}）")
    munis = sum(m.share for m in a.members)
    print(f"市区町村の負担合計: {money_ja(munis, '円')}（{money_ja(munis)}、{len(a.members)} 団体）")""",
            check=True,
        ),
        md("""
## ガイドの調査結果との比較（ガイド 2.5 共同利用の効果）
ガイド 2.5 の抑制効果（構築 1/2～1/12、運用 1/5～1/20）は、各市町村が単独で構築・運用した場合との**市町村ごと**の比較です。
各市町村の負担を単独の場合と比べて調査の範囲に置き、県全体での比較（単独の合計と共同利用の総額の比）は参考として並べます。
"""),
        code(
            """from workbench.cost import cost_effect

if pref.costs is None:
    print("この都道府県ファイルには費用の前提（費用シナリオ）がありません")
else:
    effect = cost_effect(pref, rule=v.cost.rule or "shapley")
    print(summary(effect, pref))""",
            check=True,
        ),
        code(
            """from workbench.charts.effect import effect_ranges

chart(effect_ranges(effect), session=session) if pref.costs is not None else None""",
            ignore=True,
        ),
        code("table(effect.display_frame()) if pref.costs is not None else None"),
        md("""
## 推奨モジュールの効果（ガイド 2.6）
ガイド 2.6 の事例（工程全体で83%減、スクラッチ開発でない場合は41%減）を、印刷された値と整合させた値で並べ、
この県の共同基盤の費用に当てはめた場合を示します。
"""),
        code(
            """from workbench.cost import module_effect_view

view = module_effect_view(pref)
print(view)""",
            check=True,
        ),
        code("table(view.cases_frame())"),
        code("table(view.to_staff_frame())"),
        md("""
## 書き出し
ビジョン（JSON、会議資料にできる1つのHTMLファイル、県の文書に編集できる Word 文書）を出力先フォルダに書き出します。
上の編集画面で適用した内容で書き出します。
"""),
        code(
            """from workbench.report_vision import save_vision
from workbench.vision_docx import write_vision_docx

pref = session.pref  # 編集後の内容
v = vision(pref)
(out / f"step2_{pref.code}.json").write_text(v.model_dump_json(indent=2), encoding="utf-8")
written = save_vision(pref, out / f"step2_{pref.code}_共同利用ビジョン.html")
docx = write_vision_docx(pref, out / f"step2_{pref.code}_共同利用ビジョン.docx")
exported(out / f"step2_{pref.code}.json", written, docx)""",
            ignore=True,
        ),
    ]


def nb_step3() -> list:
    return [
        md("""
# Step 3 実行計画の策定及び実行

ガイド 3.1 Step 3 では、ビジョンの実現に必要な**取組事項**を洗い出し、スケジュールを立て、運営組織を立ち上げて実行します。
取組事項はパターンごとの取組（ガイドブック）と5つの検討事項（ガイド 3.3）から生成され、データマップがあればその課題への
取組（基盤経由への切替、標準データモデルへの移行、同意管理の導入など）も加わります。担当・開始・期間・依存関係を編集できます。
「適用」すると自動保存の版が残り、「ファイルに保存」で作業用コピーの実行計画に保存されて、次の会議で続きから再開できます。
"""),
        params_cell(),
        code(SETUP),
        md("""
## 実行計画の要点
"""),
        code(
            """from workbench.plan import action_plan

plan = action_plan(pref)
print(summary(plan, pref))""",
            check=True,
        ),
        md("""
## 取組事項の編集とガントチャート
取組事項を選び、担当・開始・期間・依存を変えて「適用」を押すと、スケジュールとガントチャートが更新されます。依存は
ボタンを押すたびにその取組事項を加える・外すが切り替わります。計画の開始日を入れると、日付と年度（4月〜翌3月）で表示します。
依存関係が循環するなど誤った編集は赤字で表示され、計画は変わりません。「ファイルに保存」を押すと、もう一度実行しても
（Run All でも）編集が残り、下の書き出しにも使われます。
"""),
        code(
            "PlanEditor(session)",
            ignore=True,
        ),
        md("""
## 取組事項の一覧
ファイルを読み込んだ時点の一覧です（上の編集画面の表は、適用するたびに更新されます）。
"""),
        code("""from workbench.plan import schedule_frame

table(schedule_frame(plan))"""),
        md("""
## 書き出し
上の編集画面で適用した内容で、実行計画を Excel ファイルに書き出します。A4 横に幅を合わせて印刷でき、見出しの行は
各ページに繰り返し、ガントチャートはセルで描きます（数式として解釈される文字は文字列として保存します）。
"""),
        code(
            """from workbench.plan_sheet import plan_xlsx

pref = session.pref  # 編集後の内容
exported(plan_xlsx(pref, out / f"step3_{pref.code}_実行計画.xlsx"))""",
            ignore=True,
        ),
        md("""
## 会議資料（PowerPoint）
今の型とパターン、市区町村の地図、基盤数、課題リスト、型2.4への道筋、費用負担の比較と公平性、認証レベルの不足、
このスケジュールを1つの PowerPoint ファイルにまとめます。グラフは PowerPoint のグラフ（編集・色変更ができます）で、
各スライドのノートに出典を記載しています。
"""),
        code(
            """from workbench.deck import write_deck

exported(write_deck(session.pref, out / f"step3_{pref.code}_会議資料.pptx"))""",
            ignore=True,
        ),
    ]


NOTEBOOK_SPECS = {
    "00_はじめに.ipynb": nb_intro,
    "01_Step1_現状把握.ipynb": nb_step1,
    "02_Step2_ビジョン策定.ipynb": nb_step2,
    "03_Step3_実行計画.ipynb": nb_step3,
}


# --- dashboards ---------------------------------------------------------------------------------------------


def dashboard(cls: str, title: str, intro: str) -> list:
    return [
        md(f"# {title}\n\n{intro.strip()}"),
        code(
            f"""from workbench.widgets import {cls}

dash = {cls}()
dash""",
            ignore=True,
        ),
        code("dash.follow_request();", ignore=True),
    ]


DASHBOARD_SPECS = {
    "県の全体像.ipynb": lambda: dashboard(
        "OverviewDashboard",
        "県の全体像",
        "今の型、基盤の数、市区町村の地図と人口・基盤の利用、課題リスト、型2.4への道筋。"
        "上のプルダウンで都道府県を選べます（URL の `?pref=07` でも指定できます）。",
    ),
    "費用負担シミュレーター.ipynb": lambda: dashboard(
        "CostDashboard",
        "費用負担シミュレーター",
        "配分ルールを並べて比べ、重みと県の負担割合を動かし、公平性の監査（個別合理性・コア・単調性）と"
        "後から参加する団体の負担を確かめます。最後に、目指す型の選択肢を費用とともに並べ、推奨とその理由を示します。",
    ),
    "認証レベル.ipynb": lambda: dashboard(
        "AuthDashboard",
        "認証レベル",
        "サービスごとに必要な身元確認・当人認証レベルと、基盤が提供する本人確認手段の対応、レベルの不足、"
        "基盤間の認証連携の整合を示します。基準日を 2027-04-01 以降にすると画像方式の eKYC が使えなくなります。",
    ),
    "データの流れ.ipynb": lambda: dashboard(
        "DataFlowDashboard",
        "データの流れ",
        "データマップ（サービス側・データアセット側）から、どのデータがどの基盤を通ってどのサービスに届くか、分野をまたぐ流れと"
        "連携の候補、標準データモデルへの準拠、公開APIを示します。",
    ),
}


# --- writing and executing ------------------------------------------------------------------------------------


def make(cells: list) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:02d}"  # stable ids: a rebuild changes only what really changed
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def inject(nb: nbformat.NotebookNode, prefecture: str) -> nbformat.NotebookNode:
    """Papermill-style: an ``injected-parameters`` cell after the ``parameters`` cell."""
    cells = list(nb.cells)
    for i, c in enumerate(cells):
        if "parameters" in c.metadata.get("tags", []):
            cells.insert(
                i + 1, code(f'# Parameters\nPREFECTURE = "{prefecture}"', tags=["injected-parameters"])
            )
            break
    nb.cells = cells
    return nb


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop the widget state (5 MB of plotly.js) and volatile metadata before writing."""
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("papermill", None)
    for c in nb.cells:
        c.metadata.pop("execution", None)
    return nb


def execute(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="wb-build-") as tmp:
        env_keep = {k: os.environ.get(k) for k in ("HOME", "WORKBENCH_OUTPUT", "WORKBENCH_PREFECTURE")}
        os.environ["HOME"] = tmp
        os.environ["WORKBENCH_OUTPUT"] = str(Path(tmp) / "output")
        os.environ.pop("WORKBENCH_PREFECTURE", None)
        try:
            client = NotebookClient(
                nb, timeout=TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
            )
            client.execute()
        finally:
            for k, v in env_keep.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    text = nbformat.writes(strip(nb)) + "\n"
    path.write_text(text, encoding="utf-8")


def sources(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


def targets() -> list[tuple[Path, nbformat.NotebookNode, bool]]:
    """(path, notebook, execute?) for every file the script owns."""
    out: list[tuple[Path, nbformat.NotebookNode, bool]] = []
    for name, spec in NOTEBOOK_SPECS.items():
        out.append((NOTEBOOKS / name, make(spec()), True))
        for pref in EXAMPLE_PREFECTURES:
            out.append((EXAMPLES / pref / name, inject(make(spec()), pref), True))
    for name, spec in DASHBOARD_SPECS.items():
        out.append((DASHBOARDS / name, make(spec()), False))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-execute", action="store_true", help="write sources only (outputs are dropped)")
    ap.add_argument("--check", action="store_true", help="fail when a committed notebook's sources differ")
    ap.add_argument("--only", help="only files whose path contains this text")
    args = ap.parse_args(argv)
    stale = []
    for path, nb, run in targets():
        if args.only and args.only not in str(path):
            continue
        if args.check:
            if not path.exists() or sources(nbformat.read(path, as_version=4)) != sources(nb):
                stale.append(path)
            continue
        if run and not args.no_execute:
            path.parent.mkdir(parents=True, exist_ok=True)
            print(f"実行中: {path.relative_to(ROOT)}", flush=True)
            execute(nb, path.parent)
        write(nb, path)
        print(f"書き出し: {path.relative_to(ROOT)}")
    if stale:
        print("作り直しが必要: " + ", ".join(str(p.relative_to(ROOT)) for p in stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
