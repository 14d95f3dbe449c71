"""Bad input for the auth matching: located InputErrors (file, line, field)."""

from __future__ import annotations

import pytest

from workbench.errors import InputError
from workbench.inventory import loads

HEAD = """prefecture: 福島県
platforms:
  - id: p
    name: 基盤
    operated_by: prefecture
    components: [auth, personal]
"""


def bad(text: str) -> InputError:
    with pytest.raises(InputError) as e:
        loads(text, file="pref.yaml")
    return e.value


def test_unknown_means_code_is_located():
    err = bad(HEAD + "    means: [ekyc_ic, passkee]\n")
    pr = err.problems[0]
    assert (pr.file, pr.line, pr.field, pr.value) == ("pref.yaml", 7, "platforms[0].means[1]", "passkee")
    assert "本人確認手段" in pr.message


def test_own_means_makes_a_code_known():
    loads(
        HEAD
        + "    means: [city_card]\nauth:\n  means:\n    - {code: city_card, label: 市民カード, proofing: 3}\n"
    )


@pytest.mark.parametrize(
    ("tail", "line", "field"),
    [
        ("    identity_proofing: 4\n", 7, "platforms[0].identity_proofing"),
        ("    authenticator: 0\n", 7, "platforms[0].authenticator"),
        (
            "services:\n  - id: s\n    name: S\n    platform: p\n    levels: {proofing: 5, authenticator: 2}\n",
            11,
            "services[0].levels.proofing",
        ),
        (
            "auth:\n  means:\n    - code: x\n      label: X\n      authenticator: 4\n",
            11,
            "auth.means[0].authenticator",
        ),
        ("auth:\n  categories:\n    resident:\n      proofing: 0\n", 10, "auth.categories.resident.proofing"),
    ],
)
def test_level_outside_1_to_3(tail, line, field):
    pr = bad(HEAD + tail).problems[0]
    assert (pr.line, pr.field) == (line, field)
    assert "3 以下" in pr.message or "1 以上" in pr.message


def test_service_on_unknown_platform():
    pr = bad(HEAD + "services:\n  - id: s\n    name: S\n    platform: nowhere\n").problems[0]
    assert (pr.line, pr.field, pr.value) == (10, "services[0].platform", "nowhere")


def test_unknown_category_key_and_unknown_law_means():
    err = bad(
        HEAD
        + "auth:\n  categories:\n    banking: {proofing: 2}\n    public: {means_required: [jpki_cardd]}\n"
    )
    got = [(p.line, p.field, p.value) for p in err.problems]
    assert got == [
        (9, "auth.categories.banking", "banking"),
        (10, "auth.categories.public.means_required[0]", "jpki_cardd"),
    ]


def test_means_entry_needs_a_dimension_and_ordered_dates():
    err = bad(HEAD + "auth:\n  means:\n    - {code: x, label: X}\n")
    assert err.problems[0].line == 9 and "少なくとも一方" in err.problems[0].message
    err = bad(
        HEAD + "auth:\n  means:\n    - {code: x, label: X, proofing: 2, valid_from: 2027-01-01, "
        "valid_until: 2026-01-01}\n"
    )
    assert "valid_from" in err.problems[0].message


def test_duplicate_own_means_code():
    err = bad(
        HEAD
        + "auth:\n  means:\n    - {code: x, label: X, proofing: 2}\n    - {code: x, label: Y, proofing: 1}\n"
    )
    assert (err.problems[0].line, err.problems[0].field) == (10, "auth.means[1].code")
