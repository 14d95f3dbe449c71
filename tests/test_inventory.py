"""The prefecture file: validation with located errors, round trip keeping comments, atomic save."""

import json
import textwrap

import pytest

import workbench as wb
from workbench.cli import main
from workbench.cli.schema import prefecture_schema
from workbench.inventory import loads, save, to_yaml

BASE = """\
prefecture: 福島県
platforms:
  - id: p1
    name: 基盤1
    operated_by: "072028"
    components: [non_personal]
services:
  - id: s1
    name: サービス1
    platform: p1
"""


def err_of(text: str) -> wb.InputError:
    with pytest.raises(wb.InputError) as info:
        loads(textwrap.dedent(text), file="bad.yaml")
    return info.value


# each case: the YAML, the expected line, the expected field (dotted path) of the first problem
MALFORMED = [
    ("unknown top key", BASE + "colour: red\n", 11, "colour"),
    (
        "unknown platform key",
        BASE.replace("    components", "    colour: red\n    components"),
        6,
        "platforms[0].colour",
    ),
    (
        "bad enum",
        BASE.replace("components: [non_personal]", "components: [non_personal]\n    user_scope: 宇宙"),
        7,
        "platforms[0].user_scope",
    ),
    (
        "bad component",
        BASE.replace("[non_personal]", "[non_personal, quantum]"),
        6,
        "platforms[0].components[1]",
    ),
    (
        "level out of range",
        BASE.replace("    components", "    identity_proofing: 4\n    components"),
        6,
        "platforms[0].identity_proofing",
    ),
    (
        "level not int",
        BASE.replace("    components", "    authenticator: high\n    components"),
        6,
        "platforms[0].authenticator",
    ),
    ("missing name", BASE.replace("    name: 基盤1\n", ""), 3, "platforms[0].name"),
    ("unknown prefecture", BASE.replace("福島県", "ムー県"), 1, "prefecture"),
    ("bad municipality code", BASE.replace('"072028"', '"072029"'), 5, "platforms[0].operated_by"),
    (  # members of other prefectures are allowed on a platform (guide 1.2 (3)), but a service may only name
        # an outside municipality its platform lists
        "service municipality outside",
        BASE + '    municipalities: ["092134"]\n',
        11,
        "services[0].municipalities[0]",
    ),
    (
        "unknown platform of a service",
        BASE.replace("platform: p1", "platform: p9"),
        10,
        "services[0].platform",
    ),
    ("duplicate platform id", BASE + "  - id: s1\n    name: x\n    platform: p1\n", 11, "services[1].id"),
    (
        "federation with itself",
        BASE.replace("    components", "    auth_federation_with: [p1]\n    components"),
        6,
        "platforms[0].auth_federation_with[0]",
    ),
    (
        "federation with unknown",
        BASE.replace("    components", "    data_federation_with: [zz]\n    components"),
        6,
        "platforms[0].data_federation_with[0]",
    ),
    ("list expected", BASE.replace("[non_personal]", "non_personal"), 6, "platforms[0].components"),
    (
        "bool expected",
        BASE.replace("    components", "    api_published: maybe\n    components"),
        6,
        "platforms[0].api_published",
    ),
    ("yaml syntax", BASE.replace("    name: 基盤1", "    name: [基盤1"), 5, None),
    ("tab indentation", BASE.replace("    name: 基盤1", "\tname: 基盤1"), 4, None),
    ("top is a list", "- a\n- b\n", 1, None),
    (
        "target enum",
        BASE + "target:\n  source: single\n  user_scope: prefectural\n  providers: everyone\n",
        14,
        "target.providers",
    ),
    (
        "target missing key",
        BASE + "target:\n  source: single\n  user_scope: prefectural\n",
        11,
        "target.providers",
    ),
    (
        "municipality name unknown",
        BASE.replace("    components", "    municipalities: [架空町]\n    components"),
        6,
        "platforms[0].municipalities",
    ),
    (
        "duplicate components",
        BASE.replace("[non_personal]", "[non_personal, non_personal]"),
        6,
        "platforms[0].components",
    ),
]


@pytest.mark.parametrize("name, text, line, field", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_files_give_located_errors(name, text, line, field):
    err = err_of(text)
    assert err.file == "bad.yaml"
    assert err.line == line, str(err)
    if field is not None:
        assert err.field == field, str(err)
    assert str(err).startswith("bad.yaml:")


def test_error_names_the_value_and_what_is_allowed():
    err = err_of(
        BASE.replace("components: [non_personal]", "components: [non_personal]\n    user_scope: 宇宙")
    )
    text = str(err)
    assert "宇宙" in text and "prefectural" in text and "都道府県内" in text


def test_labels_and_codes_are_both_accepted():
    text = BASE.replace(
        "components: [non_personal]", "components: [非パーソナル]\n    service_scheme: 自治体と民間"
    )
    pref = loads(text)
    assert pref.platforms[0].components == ["non_personal"]
    assert pref.platforms[0].service_scheme == "both"
    assert pref.code == "07" and pref.name == "福島県"


def test_unquoted_codes_keep_their_leading_zero():
    pref = loads(BASE.replace('"072028"', "072028").replace("福島県", "07"))
    assert pref.platforms[0].operated_by == "072028"
    assert pref.code == "07"


def test_round_trip_keeps_comments_order_and_labels(tmp_path):
    text = "# 県のファイル\n" + BASE.replace(
        "components: [non_personal]",
        "components: [non_personal]  # 非パーソナルのみ\n    service_scheme: 自治体のみ",
    )
    path = tmp_path / "pref.yaml"
    path.write_text(text, encoding="utf-8")
    pref = wb.load(path)
    pref.platforms[0].name = "新しい名前"
    save(pref)
    out = path.read_text(encoding="utf-8")
    assert "# 県のファイル" in out and "# 非パーソナルのみ" in out
    assert "新しい名前" in out and "service_scheme: 自治体のみ" in out  # the user's label is kept
    assert out.index("prefecture:") < out.index("platforms:") < out.index("services:")
    assert (tmp_path / "pref.yaml.bak").read_text(encoding="utf-8") == text
    again = wb.load(path)
    assert again.platforms[0].name == "新しい名前"


def test_copies_of_a_sample_share_a_document_that_no_save_changes(tmp_path):
    """load_sample's copies share the loaded document (copying it cost every dashboard switch ~10 ms); a
    copy edited and saved leaves the other copies' text unchanged."""
    from workbench.inventory.yamlio import to_yaml

    a, b = wb.load_sample("07"), wb.load_sample("07")
    assert a._wb_doc is b._wb_doc and a.platforms is not b.platforms
    import io

    from workbench.inventory.yamlio import _yaml

    def document_text(pref) -> str:
        buf = io.StringIO()
        _yaml().dump(pref._wb_doc, buf)
        return buf.getvalue()

    shared, text = document_text(b), to_yaml(b)
    a.platforms[0].name = "編集した名前"
    save(a, tmp_path / "a.yaml")
    assert "編集した名前" in (tmp_path / "a.yaml").read_text(encoding="utf-8")
    assert document_text(b) == shared and "編集した名前" not in shared
    assert to_yaml(b) == text
    assert to_yaml(wb.load_sample("07")) == text


def test_save_refuses_a_file_changed_on_disk(tmp_path):
    path = tmp_path / "pref.yaml"
    path.write_text(BASE, encoding="utf-8")
    pref = wb.load(path)
    path.write_text(BASE.replace("基盤1", "他の人の編集"), encoding="utf-8")
    pref.platforms[0].name = "私の編集"
    with pytest.raises(wb.StaleFileError):
        save(pref)
    assert "他の人の編集" in path.read_text(encoding="utf-8")


def test_invalid_edit_is_not_written(tmp_path):
    path = tmp_path / "pref.yaml"
    path.write_text(BASE, encoding="utf-8")
    pref = wb.load(path)
    pref.services[0].platform = "nowhere"  # assignment validates the field, not the cross-object rule
    with pytest.raises(wb.InputError):
        save(pref)
    assert path.read_text(encoding="utf-8") == BASE


def test_new_prefecture_saves_to_a_valid_file(tmp_path):
    pref = wb.Prefecture(prefecture="09")
    path = save(pref, tmp_path / "new.yaml")
    assert wb.load(path).name == "栃木県"
    assert "prefecture:" in to_yaml(pref)


def test_every_sample_file_loads_and_round_trips_unchanged(tmp_path):
    from workbench.samples import sample_files

    assert len(sample_files()) >= 4
    for code, path in sample_files().items():
        pref = wb.load(path)
        assert pref.code == code
        copy = tmp_path / path.name
        copy.write_bytes(path.read_bytes())
        p2 = wb.load(copy)
        save(p2)
        assert wb.load(copy).model_dump() == pref.model_dump()
        assert "#" in copy.read_text(encoding="utf-8")


def test_json_schema_is_generated_and_shipped(capsys):
    schema = prefecture_schema()
    props = schema["properties"]
    assert {"prefecture", "platforms", "services", "target", "costs"} <= set(props)
    platform = schema["$defs"]["Platform"]["properties"]
    assert platform["user_scope"]["enum"] == ["municipal", "prefectural"]
    assert schema["$defs"]["Platform"]["additionalProperties"] is False
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == schema
    from workbench.reference import data_dir

    shipped = json.loads(
        (data_dir().parent / "workbench" / "schema" / "prefecture.schema.json").read_text("utf-8")
    )
    assert shipped == schema, "run: .venv/bin/workbench schema > workbench/schema/prefecture.schema.json"


def test_cli_bad_input_exits_2_with_one_located_line(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(BASE.replace("platform: p1", "platform: p9"), encoding="utf-8")
    before = path.read_bytes()
    assert main(["classify", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{path}:10" in err[0] and "services[0].platform" in err[0]
    assert path.read_bytes() == before


def test_cli_missing_file(capsys):
    assert main(["classify", "/nonexistent/x.yaml"]) == 2
    assert "ファイルがありません" in capsys.readouterr().err


def test_save_keeps_the_file_mode_and_new_files_are_not_private(tmp_path):
    path = tmp_path / "pref.yaml"
    path.write_text(BASE, encoding="utf-8")
    path.chmod(0o640)
    pref = wb.load(path)
    pref.platforms[0].name = "変更"
    save(pref)
    assert path.stat().st_mode & 0o777 == 0o640
    import os

    old = os.umask(0o022)
    try:
        new = save(pref, tmp_path / "new.yaml")
    finally:
        os.umask(old)
    assert new.stat().st_mode & 0o777 == 0o644  # as a normally created file, not mkstemp's 0600
