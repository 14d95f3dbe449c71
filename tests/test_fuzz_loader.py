"""Fuzz the prefecture-file loader (issue 7): on any input it returns a valid Prefecture or raises InputError.

Three generators, 3,500 examples in all: (1) 2,000 structured files close to valid ones (random keys, values and
types at every level, labels, codes, costs, nesting, anchors), dumped as YAML; (2) 1,000 of valid-looking text with
random byte-level mutations (cuts, insertions of YAML punctuation, tabs, BOMs, aliases); (3) 500 of arbitrary text.
Nothing else may escape: no RecursionError, no KeyError from reference look-ups, no pydantic ValidationError.
"""

from __future__ import annotations

import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.inventory import Prefecture, loads

SETTINGS = settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck), database=None)
QUICK = settings(SETTINGS, max_examples=1000)
TINY = settings(SETTINGS, max_examples=500)

KEYS = {
    "top": [
        "prefecture",
        "platforms",
        "services",
        "target",
        "costs",
        "notes",
        "facts",
        "synthetic",
        "colour",
    ],
    "platform": [
        "id",
        "name",
        "operated_by",
        "components",
        "service_scheme",
        "platform_scheme",
        "user_scope",
        "identity_proofing",
        "authenticator",
        "means",
        "non_personal_broker",
        "personal_broker",
        "terms",
        "auth_federation_with",
        "data_federation_with",
        "modules",
        "api_published",
        "municipalities",
        "status",
        "field",
        "vendor",
        "x",
    ],
    "service": [
        "id",
        "name",
        "platform",
        "provider",
        "category",
        "personal_data",
        "uses_data_from",
        "levels",
        "municipalities",
    ],
    "costs": [
        "horizon_years",
        "discount_rate",
        "shared",
        "standalone",
        "members",
        "drivers",
        "weights",
        "scheme",
    ],
}
SCALARS = st.one_of(
    st.sampled_from(
        [
            "福島県",
            "07",
            "7",
            "東京",
            "prefecture",
            "operating_body",
            "072028",
            "72028",
            "072029",
            "075469",
            "131016",
            "自治体のみ",
            "都道府県内",
            "基礎自治体内",
            "auth",
            "non_personal",
            "personal",
            "外部",
            "内部",
            "p1",
            "p2",
            "s1",
            "running",
            "both",
            "",
            " ",
            "ｐ１",
            "０７２０２８",
            "梼原町",
            "~",
            "null",
            "yes",
            "no",
            ".nan",
            "-1",
            "1e400",
            "2024-01-01",
        ]
    ),
    st.integers(-5, 400_000_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=8),
)


def _value(depth: int = 0) -> st.SearchStrategy:
    if depth >= 1:
        return SCALARS
    return st.one_of(
        SCALARS,
        st.lists(SCALARS, max_size=3),
        st.dictionaries(
            st.sampled_from(KEYS["costs"] + ["initial", "annual", "exists"]), _value(depth + 1), max_size=3
        ),
    )


def _obj(kind: str) -> st.SearchStrategy:
    return st.dictionaries(st.sampled_from(KEYS[kind]), _value(), max_size=5)


DOCS = st.fixed_dictionaries(
    {"prefecture": st.one_of(st.just("福島県"), SCALARS)},
    optional={
        "platforms": st.one_of(st.lists(_obj("platform"), max_size=2), SCALARS),
        "services": st.lists(_obj("service"), max_size=2),
        "target": st.one_of(
            st.dictionaries(st.sampled_from(["source", "user_scope", "providers", "hub"]), SCALARS), SCALARS
        ),
        "costs": _obj("costs"),
        "colour": SCALARS,
    },
)


def _scalar(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and math.isnan(v):
        return ".nan"
    if isinstance(v, float) and math.isinf(v):
        return ".inf" if v > 0 else "-.inf"
    if isinstance(v, str) and v[:1].isalnum() and v.isprintable() and ":" not in v and "#" not in v:
        return v  # plain scalar, as people write them (may read back as a number, a date, a bool …)
    return json.dumps(v, ensure_ascii=False)


def _dump(doc: object, indent: str = "") -> str:
    """Block-style YAML (a fast emitter: ruamel's pure dumper would dominate the run time)."""
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if isinstance(v, dict | list) and v:
                out.append(f"{indent}{k}:\n" + _dump(v, indent + "  "))
            else:
                out.append(f"{indent}{k}: {_flow(v)}\n")
    elif isinstance(doc, list):
        for v in doc:
            if isinstance(v, dict) and v:
                body = _dump(v, indent + "  ")
                out.append(f"{indent}- " + body[len(indent) + 2 :])
            else:
                out.append(f"{indent}- {_flow(v)}\n")
    return "".join(out)


def _flow(v: object) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_flow(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_flow(x) for x in v) + "]"
    return _scalar(v)


def _check(text: str) -> None:
    try:
        pref = loads(text, file="fuzz.yaml")
    except wb.InputError as err:
        assert err.problems and err.problems[0].file == "fuzz.yaml"
        assert str(err)
        return
    assert isinstance(pref, Prefecture)


@SETTINGS
@given(DOCS)
def test_structured_documents(doc: dict) -> None:
    _check(_dump(doc))


VALID = """\
prefecture: 福島県
platforms:
  - &p {id: p1, name: 基盤, operated_by: "072028", components: [non_personal, auth], identity_proofing: 2}
  - id: p2
    name: 二
    operated_by: prefecture
    municipalities: ["072028", "072010"]
    auth_federation_with: [p1]
services:
  - {id: s1, name: サービス, platform: p1, uses_data_from: [p1, p2], levels: {proofing: 2, authenticator: 2}}
costs:
  shared: {initial: 1, annual_fixed: 2}
  standalone: {initial: 3, annual: 4}
  members: ["072028"]
"""
PIECES = st.sampled_from(
    [
        "[",
        "]",
        "{",
        "}",
        ":",
        ": ",
        "- ",
        "\n",
        "\t",
        "  ",
        "&a ",
        "*a",
        "*p",
        "<<: *p\n",
        "!!python/object:os.system ",
        "'",
        '"',
        "#",
        "\ufeff",
        "\x00",
        "?",
        "|",
        ">",
        "%YAML 1.1\n",
        "---\n",
        "...\n",
        "\\",
        "\u3000",
        "０",
    ]
)


@QUICK
@given(st.lists(st.tuples(st.integers(0, len(VALID)), st.integers(0, 6), PIECES), min_size=1, max_size=4))
def test_mutated_text(edits: list[tuple[int, int, str]]) -> None:
    text = VALID
    for pos, cut, piece in edits:
        pos = min(pos, len(text))
        text = text[:pos] + piece + text[pos + cut :]
    _check(text)


@TINY
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    _check("prefecture: 福島県\n" + text)


def test_a_block_indicator_with_a_superscript_digit() -> None:
    """Found by test_arbitrary_text in make test: ``|²`` ("²".isdigit() is True, int("²") is not) made the
    structure pre-scan raise a bare ValueError; now a located input error like any other bad YAML."""
    _check("prefecture: 福島県\n|²")
    _check("prefecture: 福島県\nfacts: >²\n  a\n")


def test_costs_members_number() -> None:
    """Found by this fuzz test (costs.py iterated a number: TypeError); fixed in costs.py."""
    _check(
        "prefecture: 福島県\ncosts: {members: 0.0, shared: {initial: 1}, standalone: {initial: 1, annual: 1}}\n"
    )


# --- the structure pre-scan (issue 12, point 7) ---------------------------------------------------------

STRUCTURE_PIECES = st.sampled_from(
    [
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        ": ",
        "- ",
        "? ",
        '"',
        "'",
        "\\",
        "''",
        '\\"',
        "#",
        " #",
        "a",
        "b1",
        " ",
        "  ",
        "\n",
        "\n  ",
        "\n    ",
        "|",
        ">",
        "|2",
        "&x ",
        "*x",
        "!t ",
        "%",
        "`",
        "@",
        "-",
        "?",
        ":x",
        "\t",
    ]
)


def _depth(node: object, d: int = 0) -> int:
    if isinstance(node, dict):
        return max([d + 1] + [max(_depth(k, d + 1), _depth(v, d + 1)) for k, v in node.items()])
    if isinstance(node, list):
        return max([d + 1] + [_depth(v, d + 1) for v in node])
    return d


@settings(SETTINGS, max_examples=1500)
@given(st.lists(STRUCTURE_PIECES, min_size=1, max_size=40))
def test_the_structure_prescan_never_underestimates_nesting(parts: list[str]) -> None:
    """The pre-scan that refuses deep nesting before the (slow) parser runs must see at least the nesting the
    parser builds, whatever the quotes, escapes, comments and block scalars; an old version was fooled by a
    quote that the parser did not take as one."""
    import io
    import warnings

    from workbench.inventory.yamlio import _yaml, structure_estimate

    text = "".join(parts)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            doc = _yaml().load(io.StringIO(text))
    except Exception:  # noqa: BLE001 - text the parser refuses cannot nest deeply
        return
    estimate, _ = structure_estimate(text, raise_over=False)
    assert estimate >= _depth(doc), (text, estimate, _depth(doc))
