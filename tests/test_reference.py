"""Reference data: census, prefectures, enumerations, check digits, name variants."""

import pandas as pd
import pytest

from workbench import reference as r


def test_census_has_all_municipalities_and_the_national_total():
    df = r.municipalities()
    assert len(df) == 1741
    assert int(df["population_2020"].sum()) == 126_146_099
    assert df["code"].str.fullmatch(r"\d{6}").all()
    assert df["code"].is_unique


def test_every_census_code_has_a_valid_check_digit():
    df = r.municipalities()
    assert all(r.check_digit(c[:5]) == c[5] for c in df["code"])


def test_futaba_is_zero_and_the_census_spelling_of_yusuhara():
    df = r.municipalities().set_index("code")
    assert df.loc["075469", "population_2020"] == 0
    assert df.loc["394050", "name"] == "檮原町"


def test_prefectures_are_the_47_with_jis_codes_and_sum_to_the_census():
    df = r.prefectures()
    assert len(df) == 47
    assert list(df["code"]) == [f"{i:02d}" for i in range(1, 48)]
    assert df["municipalities"].sum() == 1741
    assert df["population_2020"].sum() == 126_146_099
    assert df.set_index("code").loc["01", "municipalities"] == 179


@pytest.mark.parametrize(
    "value, code",
    [
        ("07", "07"),
        (7, "07"),
        ("福島県", "07"),
        ("福島", "07"),
        ("Fukushima", "07"),
        ("京都", "26"),
        ("東京都", "13"),
        ("北海道", "01"),
        ("４７", "47"),
    ],
)
def test_resolve_prefecture(value, code):
    assert r.resolve_prefecture(value)[0] == code


def test_resolve_prefecture_unknown():
    with pytest.raises(KeyError):
        r.resolve_prefecture("ムー大陸")


@pytest.mark.parametrize(
    "value, code",
    [
        ("072028", "072028"),
        ("07202", "072028"),
        ("０７２０２８", "072028"),
        (72028, "072028"),
        (7202, "072028"),
        ("01100-2", "011002"),
    ],
)
def test_municipality_codes_five_or_six_digits(value, code):
    assert r.normalize_municipality_code(value) == code


@pytest.mark.parametrize("value", ["072029", "99999", "abc", "1234567", "", True])
def test_bad_municipality_codes(value):
    with pytest.raises(ValueError):
        r.normalize_municipality_code(value)


@pytest.mark.parametrize(
    "pref, label, code",
    [
        ("39", "梼原町", "394050"),
        ("39", "檮原町", "394050"),
        ("24", "多気郡多気町", "244414"),
        ("24", " 明和町 ", "244422"),
        ("10", "明和町", "105228"),
        ("07", "会津若松市", "072028"),
    ],
)
def test_find_municipality_tolerates_variants(pref, label, code):
    assert r.find_municipality(pref, label) == code


def test_enum_accepts_codes_labels_and_aliases():
    assert r.enum_code("service_scheme", "自治体のみ") == "municipality"
    assert r.enum_code("service_scheme", "municipality") == "municipality"
    assert r.enum_code("broker", "内部（接続組織単位でのデータベース分離あり）") == "internal_separated"
    assert r.enum_code("user_scope", "都道府県内") == "prefectural"
    with pytest.raises(ValueError) as err:
        r.enum_code("user_scope", "宇宙")
    assert "municipal" in err.value.allowed


def test_every_enum_label_maps_back_to_its_code():
    df = r.table("enums.csv")
    for enum, code, label in df[["enum", "code", "label_ja"]].itertuples(index=False):
        assert r.enum_code(enum, label) == code
        assert r.enum_code(enum, code) == code


def test_survey_tables_match_the_guide():
    bodies = r.table("survey_bodies.csv")
    assert len(bodies) == 10
    assert (bodies["shared_use"] == "active").sum() == 8
    counts = r.table("survey_counts.csv").set_index("code")["count"]
    assert (
        counts["cost_reduction"] == 10 and counts["fair_cost"] == 8 and counts["resident_understanding"] == 9
    )
    for code in bodies["municipality_code"]:
        if code:
            code = str(code).zfill(6)
            assert code in set(r.municipalities()["code"])


def test_type_tables_are_complete():
    after = r.table("types_after.csv")
    assert sorted(after["type"]) == [f"2.{i}" for i in range(1, 9)]
    assert len(after.drop_duplicates(["source", "user_scope", "providers"])) == 8
    before = r.table("types_before.csv")
    assert sorted(before["type"]) == ["1.1", "1.2", "1.3", "1.4", "1.5"]
    assert isinstance(after, pd.DataFrame)


def test_each_enumeration_lives_in_one_label_table_with_unique_codes():
    """data/enums.csv (values of the file) and data/labels.csv (codes of results and options) share their
    columns; an enumeration is in one of them, each code once, each with a Japanese label and a source."""
    enums, labels = r.table("enums.csv"), r.table("labels.csv")
    assert list(enums.columns) == list(labels.columns)
    assert not set(enums["enum"]) & set(labels["enum"])
    both = r._enum_rows()
    assert not both.duplicated(["enum", "code"]).any()
    assert (both["label_ja"] != "").all() and (both["source"] != "").all()


def test_label_maps_of_the_analyses_come_from_the_label_table():
    from workbench import auth, classify

    assert tuple(auth.DIMENSIONS) == r.enum_codes("auth_dimension")
    assert r.labels("severity") == {"high": "高", "medium": "中", "low": "低"}
    assert set(r.enum_codes("severity")) == set(r.table("issue_rules.csv")["severity"])
    assert set(r.enum_codes("kpi_kind")) == set(r.table("kpis.csv")["kind"])
    assert not hasattr(classify, "SEVERITY_JA") and not hasattr(auth, "DIM_JA")
    from workbench.charts import auth as auth_charts

    assert not hasattr(auth_charts, "DIM_JA")  # the heatmap's columns are the table's labels too
