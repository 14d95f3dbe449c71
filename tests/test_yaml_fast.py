"""Prefecture files read through libyaml, the round-trip document parsed only when needed (issue 26, point 10).

Loading a 500-asset × 200-service data map took 1.16 s in ruamel's pure-Python round trip. A valid plain file is
now read by libyaml (PyYAML's C parser) with every plain scalar resolved by ruamel's own YAML 1.2 resolver and
constructor, so both ways read a value alike; anything the round trip would refuse or read otherwise (an alias,
a merge key, a duplicate key, a tag, control characters, a validation problem) goes the round-trip way, which
gives the message its line. The round-trip document (comments) is parsed on first use: a save, a located error.
A save of some sections only (the データマップ import) rewrites those lines of the file and no other.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import workbench as wb
from workbench.inventory import yamlio

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(
    [
        *(ROOT / "data" / "prefectures").glob("*.yaml"),
        *(ROOT / "tests" / "sources").glob("*.yaml"),
        *(ROOT / "tests" / "bad_inputs").glob("*.yaml"),
    ]
)


def round_trip(text: str, file: str):
    return yamlio.from_document(yamlio.parse_yaml(text, file), file)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_fast_reading_agrees_with_the_round_trip(path):
    text = path.read_text("utf-8")
    fast = yamlio._fast_load(text, str(path))
    try:
        slow = round_trip(text, str(path))
    except wb.InputError:
        assert fast is None  # what the round trip refuses, the fast way never accepts
        return
    if fast is not None:
        assert fast.model_dump(mode="json") == slow.model_dump(mode="json")


SCALARS = """prefecture: 香川県
platforms:
  - id: p
    name: 基盤
    operated_by: prefecture
    components: [non_personal]
    notes: {notes}
"""


@pytest.mark.parametrize(
    "value",
    [
        "yes",
        "no",
        "on",
        "off",
        "2026-04",
        "12:30",
        "'07'",
        '"0o10"',
        "1.3",
        "~",
        "|\n      二行の\n      メモ",
    ],
)
def test_scalars_read_alike_both_ways(value):
    text = SCALARS.format(notes=value)
    fast = yamlio._fast_load(text, "x.yaml")
    try:
        slow = round_trip(text, "x.yaml")
    except wb.InputError:  # 1.3 is a number, not the text notes need: refused both ways
        assert fast is None and value == "1.3"
        return
    assert fast is not None and fast.platforms[0].notes == slow.platforms[0].notes


@pytest.mark.parametrize(
    "body",
    [
        "platforms: &a []\nservices: *a\n",  # an alias
        "platforms: []\nplatforms: []\n",  # a duplicate key
        'notes: "ベル\\a"\n',  # a control character
        "platforms:\n  - {id: p, name: 基盤, operated_by: nobody, components: [non_personal]}\n",  # invalid
    ],
)
def test_what_the_round_trip_refuses_goes_the_round_trip_way(body):
    text = "prefecture: 香川県\n" + body
    assert yamlio._fast_load(text, "x.yaml") is None
    with pytest.raises(wb.InputError) as err:
        wb.loads(text, file="x.yaml")
    assert err.value.problems[0].line is not None  # the round trip names the line


def test_a_tag_goes_the_round_trip_way():
    text = "prefecture: 香川県\nnotes: !memo x\n"
    assert yamlio._fast_load(text, "x.yaml") is None and wb.loads(text).notes == "x"


def test_the_document_is_parsed_on_first_use_and_a_save_keeps_comments(tmp_path):
    path = tmp_path / "37.yaml"
    path.write_text(
        "prefecture: 香川県   # ヒアリング 2026-10\nplatforms: []\nservices: []\nnotes: メモ  # 県の言い方\n",
        encoding="utf-8",
    )
    pref = wb.load(path)
    assert "_wb_doc" not in pref.__dict__ and pref.__dict__["_wb_text"]
    assert pref._wb_doc["notes"] == "メモ" and "_wb_doc" in pref.__dict__
    pref.notes = "新しいメモ"
    wb.save(pref)
    out = path.read_text("utf-8")
    assert "# ヒアリング 2026-10" in out and "notes: 新しいメモ" in out


def test_saving_one_section_rewrites_only_its_lines(tmp_path):
    text = """# 香川県
prefecture: 香川県
platforms:
- {id: area, name: 基盤, operated_by: prefecture, components: [non_personal]}
services:
- {id: app, name: 防災アプリ, platform: area}
vision:
  purposes: [広域でのDX化推進]   # 県の言い方
# データマップ（2026-10 の回答）
data_map:
  assets:
    - id: a1
      name: 指定避難所一覧   # 防災課
      platform: area
plan:
  start: 2026-04
"""
    path = tmp_path / "37.yaml"
    path.write_text(text, encoding="utf-8")
    pref = wb.load(path)
    pref.data_map.assets[0].owner = "防災危機管理課"
    wb.save(pref, sections=["data_map"])
    out = path.read_text("utf-8")
    before, _, after = text.partition("data_map:")
    assert out.startswith(before) and out.endswith("plan:\n  start: 2026-04\n")
    assert "name: 指定避難所一覧   # 防災課" in out and "owner: 防災危機管理課" in out
    assert wb.load(path).data_map.assets[0].owner == "防災危機管理課"
    # a section the file lacks is added at its end, the rest untouched
    path.write_text(
        text.replace("data_map:", "old_map_removed:").split("old_map_removed:")[0], encoding="utf-8"
    )
    pref = wb.load(path)
    pref.data_map = wb.loads(text, file="x").data_map
    wb.save(pref, sections=["data_map"])
    out = path.read_text("utf-8")
    assert out.startswith(text.split("data_map:")[0]) and "data_map:" in out
    assert wb.load(path).data_map.assets[0].name == "指定避難所一覧"


def test_a_section_without_comments_is_rewritten_whole_and_reads_back_the_same(tmp_path, monkeypatch):
    """The second import of a データマップ: the section its first import wrote has no comment, so it is written
    again the quick way (no round-trip parse of the section); every other line stays, the data reads back."""
    text = """prefecture: 香川県   # ヒアリング
platforms:
- {id: area, name: 基盤, operated_by: prefecture, components: [non_personal]}
services:
- {id: app, name: 防災アプリ, platform: area}
data_map:
  assets:
  - id: a1
    name: 指定避難所一覧
    platform: area
plan:
  start: 2026-04   # 県の言い方
"""
    path = tmp_path / "37.yaml"
    path.write_text(text, encoding="utf-8")
    pref = wb.load(path)
    pref.data_map.assets[0].owner = "防災危機管理課"

    def no_round_trip(*args, **kwargs):
        raise AssertionError("the round-trip parse was used for a section without comments")

    monkeypatch.setattr(yamlio, "_merged_block", no_round_trip)
    wb.save(pref, sections=["data_map"])
    out = path.read_text("utf-8")
    head, _, rest = text.partition("data_map:")
    assert out.startswith(head) and out.endswith("plan:\n  start: 2026-04   # 県の言い方\n")
    again = wb.load(path)
    assert again.data_map.assets[0].owner == "防災危機管理課"
    assert yamlio.dump_data(again) == yamlio.dump_data(pref)
