"""The データマップ's rules (DM_* of data/issue_rules.csv) as their sources say them, each from a real case.

The cases are tests/sources/datamap/*.yaml, written only from their source: the 記入例 of guidebook 第3.0版 11.2
(避難所混雑度通知アプリ, 指定避難所一覧) and the hospital booking → demand transport flow of 12.1 STEP 5 / 15.3 ②
(図36). Each test starts from one of them, changes one thing, and has the quote of the sentence the rule follows
beside it (section named). Where the sources leave a choice, the test says which reading the workbench takes.
"""

from __future__ import annotations

from pathlib import Path

import workbench as wb
from workbench import reference
from workbench.datamap import READINGS, datamap
from workbench.inventory import Prefecture

CASES = Path(__file__).parent / "sources" / "datamap"


def load(name: str) -> Prefecture:
    return wb.load(CASES / name)


def bousai() -> Prefecture:
    return load("guidebook_11_2_bousai.yaml")


def hospital() -> Prefecture:
    return load("guidebook_15_3_hospital.yaml")


def edit(pref: Prefecture, change) -> Prefecture:
    data = pref.model_dump(exclude_none=True)
    change(data)
    return Prefecture.model_validate(data, context={"pref_code": pref.code})


def codes(pref: Prefecture) -> set[str]:
    return {f.code for f in datamap(pref).findings}


def rule(code: str) -> dict:
    return reference.table("issue_rules.csv").set_index("code").loc[code].to_dict()


def test_the_guidebook_example_is_clean_and_says_what_it_does_not_know():
    res = datamap(bousai())
    # the example names no 分野 and no 標準データモデル: nothing about them is asserted
    assert res.findings == [], [(f.code, f.detail) for f in res.findings]
    assert "分野が分からない流れ" in dict(res.card_rows())["分野をまたぐ流れ"]
    assert {a.level for a in res.assets} == {"unknown"}
    # 提供先サービス 「防災アプリ、観光アプリ、地域ポータル」: three flows through the platform
    assert {f.service for f in res.flows if f.source == "shelters" and f.route == "platform"} == {
        "bousai_app",
        "kanko_app",
        "portal",
    }


def test_dm_direct_link_follows_the_formats_reading_of_the_destination_column():
    # DM-README データセット側5:「提供先サービスには、基盤を返してデータ提供を行っている先を記載。」
    # guidebook 11.2:「該当データアセットが実際に活用・連携されている全てのサービスやシステムの一覧」 (the other reading:
    # an omission). READINGS[0] states both; the format's own instruction is followed.
    assert (
        "基盤を介してデータを提供している先" in READINGS[0]
        and "全てのサービスやシステムの一覧" in READINGS[0]
    )

    def take(d):
        d["data_map"]["services"][0]["intake"].append("指定避難所一覧")

    res = datamap(edit(bousai(), take))
    hits = [f for f in res.findings if f.code == "DM_DIRECT_LINK"]
    assert len(hits) == 1 and hits[0].service == "shelter_app"
    assert "エリアデータ連携基盤 に接続済み" in hits[0].detail  # the platform's name, not its id
    assert rule("DM_DIRECT_LINK")["source"].startswith("データマップ作成フォーマット データセット側5")

    def blank(d):
        take(d)
        d["data_map"]["assets"][0]["to"] = []

    # with 提供先サービス left blank the workbook does not say: the route is unknown, no finding
    res = datamap(edit(bousai(), blank))
    f = next(f for f in res.flows if f.service == "shelter_app" and f.source == "shelters")
    assert f.route == "unknown" and "DM_DIRECT_LINK" not in {x.code for x in res.findings}


def test_dm_orphan_asset_asks_about_a_blank_destination():
    # DM-README データセット側1:「エリアデータ連携基盤に接続している「データアセット名」をすべて記載」; 5 (提供先サービス);
    # guidebook 11.2:「データの所管元から基盤を介して提供されるデータが、「複数のサービスへどのように広がるか」をマッピング」
    def unused(d):
        d["data_map"]["assets"][0]["to"] = []
        for row in d["data_map"]["services"][1:]:
            row["intake"] = []

    found = [f for f in datamap(edit(bousai(), unused)).findings if f.code == "DM_ORPHAN_ASSET"]
    assert [f.detail for f in found] == ["指定避難所一覧"]
    r = rule("DM_ORPHAN_ASSET")
    assert "記載漏れか" in r["message_ja"] and "8.3" not in r["source"]  # 8.3's caution is about duplicates


def test_a_blank_destination_of_external_data_is_a_chance_not_an_issue():
    # DM-README サービス側6:「提供頻度、提供方法、提供先は外部利用が可能なデータについての回答であり、外部利用可能なデータが
    # ない場合は、未記載で構いません。」; guidebook 11.2:「外部へ提供可能なデータを明確に定義することにより、サービスを起点とした
    # 新たな連携シナリオの創出を促す効果があります。」
    def no_destination(d):
        for item in d["data_map"]["services"][0]["external"]:
            item["to"] = []

    res = datamap(edit(bousai(), no_destination))
    assert not [f for f in res.findings if "UNUSED" in f.code]
    assert [o.data for o in res.opportunities] == ["アプリ利用状況", "避難所閲覧数", "通知開封率"]
    assert "DM_UNUSED_EXTERNAL" not in set(reference.table("issue_rules.csv")["code"])


def test_a_destination_system_is_kept_as_a_system():
    # guidebook 11.2 提供先サービス:「外部提供可能データが、別のどのようなサービスやシステムで利活用されるかの展開先。」
    res = datamap(bousai())
    to_dashboard = [f for f in res.flows if f.target_kind == "system"]
    assert len(to_dashboard) == 3 and {f.service for f in to_dashboard} == {"防災ダッシュボード"}
    assert "防災ダッシュボード（外部のシステム）" in set(res.to_staff_frame()["サービス"])
    flows = res.to_frame()
    assert set(flows.loc[flows["target_kind"] == "system", "service"]) == {"防災ダッシュボード"}


def test_dm_no_cross_field_only_where_every_field_is_known():
    # guide 4 ②:「データ連携基盤の価値は、分野を超えてデータの利活用を可能とし分野横断型のサービスを実現できる点にあり」
    assert "DM_NO_CROSS_FIELD" not in codes(bousai())  # no 分野 in the example: unknown, not 「ない」

    def fields(value):
        def change(d):
            d["data_map"]["assets"][0]["field"] = "防災"
            for row in d["data_map"]["services"]:
                row["field"] = value(row["service"])

        return change

    # 指定避難所一覧 (防災) reaches 観光アプリ (観光): a realised cross-field flow
    mixed = datamap(edit(bousai(), fields(lambda s: "観光" if s == "観光アプリ" else "防災")))
    assert any(f.cross_field for f in mixed.flows) and "DM_NO_CROSS_FIELD" not in {
        f.code for f in mixed.findings
    }

    def all_bousai(d):
        fields(lambda s: "防災")(d)
        for item in d["data_map"]["services"][0]["external"]:
            item["to"] = [
                "地域ポータル"
            ]  # 防災ダッシュボード, a system, has no 分野: its flows would stay unknown

    assert "DM_NO_CROSS_FIELD" in codes(edit(bousai(), all_bousai))


def test_dm_template_version_reads_the_version():
    # DM-README【改訂履歴】:「第1版 令和7年9月1日 … 第1.3版 令和8年4月3日」
    def older(d):
        d["data_map"]["template_version"] = "1.2"

    hits = [f for f in datamap(edit(bousai(), older)).findings if f.code == "DM_TEMPLATE_VERSION"]
    assert [f.detail for f in hits] == ["第1.2版"]
    assert "DM_TEMPLATE_VERSION" not in codes(bousai())


def test_dm_no_api_flow_and_the_api_list():
    # guide 4.3:「データ連携基盤と、各分野ごとのサービスとの接続を行うAPI、及び共用するデータアセット等との接続を行うAPIに
    # ついては、データ連携基盤の側で開発し、関係者に公開することが必要である。」
    assert "DM_NO_API_FLOW" not in codes(bousai())  # 提供方式「CSV、REST API、NGSI-LD」

    def csv_only(d):
        d["data_map"]["assets"][0]["method"] = ["CSV"]
        for item in d["data_map"]["services"][0]["external"]:
            item["method"] = ["CSV"]

    pref = edit(bousai(), csv_only)
    assert "DM_NO_API_FLOW" in codes(pref)
    # a file download is shown as such in the API list, never as a published API
    apis = datamap(pref).apis_frame()
    assert list(apis[apis["方式"] == "ファイル"]["公開"]) == ["ファイル提供（APIではない）"]


def test_dm_legacy_no_roadmap_asks_and_never_asserts_there_is_none():
    # guidebook 10.4 ③:「既存の NGSI v2 や独自APIで稼働しているサービス資産を一度に置き換えるのではなく、… 段階的に標準仕様へ
    # 移行するロードマップを策定すること。」 A data map cannot show a roadmap: the finding asks whether there is one.
    def rest_only(d):
        d["data_map"]["assets"][0]["method"] = ["REST API"]
        for item in d["data_map"]["services"][0]["external"]:
            item["method"] = ["REST API"]

    assert "DM_LEGACY_NO_ROADMAP" in codes(edit(bousai(), rest_only))
    r = rule("DM_LEGACY_NO_ROADMAP")
    assert "確かめて" in r["message_ja"] and "計画がない" not in r["title_ja"]


def test_dm_dup_asset_on_two_platforms():
    # guidebook 2.2:「同じデータアセットをサービス毎に個別に紐付けるといった非効率な作業」; 11.1.2 意義3「重複投資…を回避」
    def second(d):
        d["platforms"].append(
            {**d["platforms"][0], "id": "city", "name": "市の基盤", "operated_by": "372013"}
        )
        d["data_map"]["assets"].append({**d["data_map"]["assets"][0], "id": "shelters2", "platform": "city"})

    hits = [f for f in datamap(edit(bousai(), second)).findings if f.code == "DM_DUP_ASSET"]
    assert len(hits) == 1 and "市の基盤" in hits[0].detail and "city" not in hits[0].detail


def test_dm_no_standard_model_only_where_own_format_is_declared_and_fields_of_10_3():
    # guidebook 10.3.2:「🏛️ 行政サービス分野： 公共施設情報、人口統計・年齢別人口、消防水利施設情報」;
    #                 「👥 住民サービス分野： ユーザー、…、空き家バンク、子育て支援施設」
    def hydrants(model):
        def change(d):
            asset = {
                "id": "hydrants",
                "name": "消防水利施設一覧",
                "owner": "消防本部",
                "location": "消防水利管理システム",
                "platform": "area",
                "to": ["防災アプリ"],
            }
            if model is not None:
                asset["model"] = model
            d["data_map"]["assets"].append(asset)

        return change

    res = datamap(edit(bousai(), hydrants(None)))
    hydrant = next(a for a in res.assets if a.id == "hydrants")
    assert hydrant.field == "administration" and hydrant.level == "unknown"  # 行政サービス, not 防災
    assert "DM_NO_STANDARD_MODEL" not in {f.code for f in res.findings}  # nothing declared: unknown
    assert {c.platform: c.share for c in res.coverage} == {"area": None}
    declared_own = datamap(edit(bousai(), hydrants("独自")))
    assert [f.detail for f in declared_own.findings if f.code == "DM_NO_STANDARD_MODEL"] == [
        "消防水利施設一覧"
    ]
    assert "独自形式と記載" in rule("DM_NO_STANDARD_MODEL")["message_ja"]
    from workbench.datamap import model_from_name

    assert model_from_name("子育て支援施設一覧")["field"] == "resident"  # 住民サービス


def test_personal_data_to_another_service_needs_consent():
    # 15.3 ①「① 個人情報 | … 第三者（別サービス等）へ提供するには、本人の事前確認と明示的な同意（オプトイン） が必須。」
    # 図36: 同意管理 →「利用可否を判定」→ データブローカー →「許可されたデータのみ提供」→ デマンド交通サービス
    assert not {c for c in codes(hospital()) if "CONSENT" in c}

    def consent(value):
        def change(d):
            item = d["data_map"]["services"][0]["external"][0]
            if value is None:
                item.pop("consent")
            else:
                item["consent"] = value

        return change

    assert "DM_PERSONAL_NO_CONSENT" in codes(edit(hospital(), consent("なし")))
    unknown = codes(edit(hospital(), consent(None)))
    assert "DM_PERSONAL_CONSENT_UNKNOWN" in unknown and "DM_PERSONAL_NO_CONSENT" not in unknown
    assert rule("DM_PERSONAL_CONSENT_UNKNOWN")["severity"] == "medium"


def test_the_other_legal_classes_of_15_3():
    # ②「仮名加工情報 | … 法律上、「第三者への提供は原則禁止」。」
    # ④「個人関連情報 | …「提供先（別アプリ等）で個人データ化される」ことが予見される場合、提供先が本人から同意を取得している
    #   ことの確認義務が発生。」 — a condition a data map does not tell: a note, never a finding.
    def pi(value):
        def change(d):
            item = d["data_map"]["services"][0]["external"][0]
            item["pi_class"] = value
            item.pop("consent")

        return change

    assert "DM_PSEUDONYMISED_OUT" in codes(edit(hospital(), pi("仮名加工情報")))
    related = datamap(edit(hospital(), pi("個人関連情報")))
    assert not {f.code for f in related.findings} & {"DM_PERSONAL_NO_CONSENT", "DM_PERSONAL_CONSENT_UNKNOWN"}
    assert any("個人関連情報" in w and "ガイドブック 15.3" in w for w in related.warnings)


def test_dm_flow_not_declared_checks_the_federation_attribute_of_guide_3_4():
    # guide 3.4 基盤間連携（データ連携）「あり | 複数のデータ連携基盤間でデータ連携が行われる状態を指す。なお、パーソナルブローカー
    # 間でデータ連携を行う場合は、前項の認証連携が必要。」
    def demand_elsewhere(federated):
        def change(d):
            d["platforms"].append(
                {
                    "id": "mobility",
                    "name": "交通の基盤",
                    "operated_by": "operating_body",
                    "components": ["auth", "personal"],
                    "identity_proofing": 2,
                    "authenticator": 2,
                    **({"data_federation_with": ["area"]} if federated else {}),
                }
            )
            d["services"][1]["platform"] = "mobility"

        return change

    res = datamap(edit(hospital(), demand_elsewhere(False)))
    hits = [f for f in res.findings if f.code == "DM_FLOW_NOT_DECLARED"]
    assert (
        len(hits) == 1
        and "エリアデータ連携基盤 のデータを利用" in hits[0].detail
        and "area" not in hits[0].detail
    )
    assert "DM_FLOW_NOT_DECLARED" not in codes(edit(hospital(), demand_elsewhere(True)))
    assert rule("DM_FLOW_NOT_DECLARED")["source"] == "guide 3.4 基盤間連携（データ連携）"


def test_dm_new_not_standard_for_a_service_being_procured():
    # guidebook 10.4 ③:「新規に調達・導入するサービスについては、NGSI-LD及び標準データモデルの採用を推奨」
    def planned(method):
        def change(d):
            d["data_map"]["services"][1]["status"] = "計画中"
            d["data_map"]["services"][0]["external"][0]["method"] = [method]

        return change

    assert "DM_NEW_NOT_STANDARD" in codes(edit(hospital(), planned("NGSI v2")))
    assert "DM_NEW_NOT_STANDARD" not in codes(edit(hospital(), planned("NGSI-LD")))


def test_every_datamap_rule_has_a_source_case_here():
    import inspect

    text = inspect.getsource(inspect.getmodule(test_every_datamap_rule_has_a_source_case_here))
    for code in reference.table("issue_rules.csv")["code"]:
        if code.startswith("DM_"):
            assert code in text, code
