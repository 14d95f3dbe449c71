"""workbench.auth: level matching per service, minimal means per platform, chains and federation."""

from __future__ import annotations

import io
from datetime import date

import pytest
from ruamel.yaml import YAML

import workbench as wb
from workbench.auth import issue_findings, match_auth
from workbench.inventory import loads

BEFORE = date(2026, 6, 18)
LAST_DAY = date(2027, 3, 31)
AFTER = date(2027, 4, 1)

# DOMAIN.md §6 suggested defaults (proofing, authenticator); None = the means does not reach that dimension
MEANS = {
    "sns": (1, 1),
    "password": (1, 1),
    "qr_counter": (1, 1),
    "password_sms": (None, 2),
    "password_totp": (None, 2),
    "passkey": (None, 2),
    "security_key": (None, 3),
    "ekyc_image": (2, None),
    "ekyc_ic": (2, None),
    "jpki_card": (3, 3),
    "jpki_smartphone": (3, 3),
    "certified_esig": (2, 2),
    "counter_check": (3, None),
}
CATEGORIES = {
    "points": (1, 1, set()),
    "resident": (2, 2, set()),
    "financial": (2, 2, {"ekyc_image", "ekyc_ic", "certified_esig", "jpki_card", "jpki_smartphone"}),
    "public": (3, 3, {"jpki_card", "jpki_smartphone"}),
    "medical_advanced": (3, 3, set()),
}
# which single means satisfies each category on its own (written out by hand from the tables above)
ALONE = {
    "points": {"sns", "password", "qr_counter", "jpki_card", "jpki_smartphone", "certified_esig"},
    "resident": {"jpki_card", "jpki_smartphone", "certified_esig"},
    "financial": {"jpki_card", "jpki_smartphone", "certified_esig"},
    "public": {"jpki_card", "jpki_smartphone"},
    "medical_advanced": {"jpki_card", "jpki_smartphone"},
}


def platform(pid: str, means: list[str] | None = None, **kw) -> dict:
    d = {"id": pid, "name": f"基盤 {pid}", "operated_by": "prefecture", "components": ["auth", "personal"]}
    if means is not None:
        d["means"] = means
    d.update(kw)
    return d


def service(sid: str, pid: str, category: str | None = None, **kw) -> dict:
    d = {"id": sid, "name": f"サービス {sid}", "platform": pid}
    if category:
        d["category"] = category
    d.update(kw)
    return d


def text(platforms: list[dict], services: list[dict], auth: dict | None = None) -> str:
    doc: dict = {"prefecture": "福島県", "platforms": platforms, "services": services}
    if auth is not None:
        doc["auth"] = auth
    y = YAML(typ="safe")
    y.default_flow_style = False
    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()


def pref(platforms, services, auth=None):
    return loads(text(platforms, services, auth))


def svc(result, sid):
    return next(s for s in result.services if s.service == sid)


def plat(result, pid):
    return next(p for p in result.platforms if p.platform == pid)


# --- the catalogues -----------------------------------------------------------------------------------


def test_default_catalogue_matches_domain_table():
    from workbench.auth import category_catalogue, means_catalogue

    cat = means_catalogue()
    assert {c: (m.proofing, m.authenticator) for c, m in cat.items()} == MEANS
    assert all(m.default_assumption and m.source and m.reasoning for m in cat.values())
    assert cat["ekyc_image"].valid_until == LAST_DAY and cat["ekyc_ic"].valid_until is None
    cats = category_catalogue()
    assert {c: (x.proofing, x.authenticator, set(x.means_required)) for c, x in cats.items()} == CATEGORIES
    assert set(cats) == set(wb.reference.enum_codes("service_category"))
    assert not cats["medical_advanced"].default_assumption and cats["public"].default_assumption


@pytest.mark.parametrize("category", list(CATEGORIES))
@pytest.mark.parametrize("means", list(MEANS))
def test_every_category_against_every_means(category, means):
    p = pref([platform("p", [means])], [service("s", "p", category)])
    s = svc(match_auth(p, on=BEFORE), "s")
    need_p, need_a, law = CATEGORIES[category]
    reach_p, reach_a = MEANS[means]
    assert s.required.proofing == need_p and s.required.authenticator == need_a
    assert s.offered.proofing == (reach_p or 0) and s.offered.authenticator == (reach_a or 0)
    assert s.satisfied is (means in ALONE[category])
    kinds = {m.kind for m in s.missing}
    assert ("proofing" in kinds) is ((reach_p or 0) < need_p)
    assert ("authenticator" in kinds) is ((reach_a or 0) < need_a)
    assert ("means" in kinds) is bool(law and means not in law)


def test_no_signin_service_and_platform_without_auth():
    p = pref(
        [platform("p", components=["non_personal"])], [service("open", "p"), service("pts", "p", "points")]
    )
    r = match_auth(p, on=BEFORE)
    open_ = svc(r, "open")
    assert open_.basis == "none" and open_.required.proofing == 0 and open_.satisfied and open_.missing == []
    pts = svc(r, "pts")
    assert pts.offered.proofing == 0 and pts.offered.authenticator == 0 and not pts.satisfied
    assert plat(r, "p").offered_basis == "none"


# --- overrides in the file ------------------------------------------------------------------------------


def test_category_override_changes_levels_and_law_means():
    plats = [platform("p", ["ekyc_ic", "password"])]
    servs = [service("r", "p", "resident"), service("f", "p", "financial")]
    base = match_auth(pref(plats, servs), on=BEFORE)
    assert not svc(base, "r").satisfied and not svc(base, "f").satisfied
    r = match_auth(
        pref(
            plats,
            servs,
            {
                "categories": {
                    "地域通貨": {"authenticator": 1},  # a Japanese alias of resident
                    "financial": {"authenticator": 1, "means_required": ["jpki_card"]},
                }
            },
        ),
        on=BEFORE,
    )
    assert svc(r, "r").satisfied and svc(r, "r").required.authenticator == 1
    f = svc(r, "f")
    assert not f.satisfied and [m.kind for m in f.missing] == ["means"] and f.means_required == ["jpki_card"]
    assert "your input" in f.source


def test_service_levels_override_and_own_means():
    auth = {"means": [{"code": "city_card", "label": "市民カード", "proofing": 3, "authenticator": 3}]}
    plats = [platform("p", ["city_card"])]
    servs = [
        service("a", "p", "points", levels={"proofing": 3, "authenticator": 3}),
        service("b", "p", "public"),
    ]
    r = match_auth(pref(plats, servs, auth), on=BEFORE)
    a, b = svc(r, "a"), svc(r, "b")
    assert a.basis == "override" and a.required.proofing == 3 and a.satisfied
    assert b.offered.proofing == 3 and not b.satisfied and [m.kind for m in b.missing] == ["means"]
    assert next(m for m in r.means_catalogue if m.code == "city_card").origin == "file"


def test_file_can_redefine_a_default_means():
    auth = {"means": [{"code": "ekyc_image", "label": "画像eKYC（犯収法対象外で継続）", "proofing": 2}]}
    p = pref([platform("p", ["ekyc_image", "passkey"])], [service("r", "p", "resident")], auth)
    assert svc(match_auth(p, on=AFTER), "r").satisfied
    p0 = pref([platform("p", ["ekyc_image", "passkey"])], [service("r", "p", "resident")])
    assert not svc(match_auth(p0, on=AFTER), "r").satisfied


# --- the 2027-04-01 change ------------------------------------------------------------------------------


def test_image_ekyc_ends_2027_03_31_for_financial():
    p = pref([platform("p", ["ekyc_image", "passkey"])], [service("bank", "p", "financial")])
    on_last = svc(match_auth(p, on=LAST_DAY), "bank")
    assert on_last.satisfied and on_last.offered.proofing == 2
    after = match_auth(p, on=AFTER)
    s = svc(after, "bank")
    assert not s.satisfied
    assert {m.kind for m in s.missing} == {"proofing", "means"}
    assert "ekyc_image" in next(m for m in s.missing if m.kind == "means").message
    expiring = [f for f in match_auth(p, on=LAST_DAY).findings if f.code == "MEANS_EXPIRING"]
    assert len(expiring) == 1 and "2027-03-31" in expiring[0].detail
    pm = plat(after, "p")
    assert pm.means_expired == ["ekyc_image"] and pm.means_to_add == ["ekyc_ic"]
    assert any(f.code == "MEANS_EXPIRED" for f in after.findings)
    # the default date is today
    assert match_auth(p).on == date.today()


def test_fukushima_sample_before_and_after():
    p = wb.load(wb.reference.data_dir() / "prefectures" / "07_fukushima.yaml")
    before, after = match_auth(p, on=BEFORE), match_auth(p, on=AFTER)
    eapp = svc(before, "e-application")
    assert not eapp.satisfied and {m.kind for m in eapp.missing} == {"proofing", "authenticator", "means"}
    assert svc(before, "portal").satisfied and svc(before, "open-data").satisfied
    assert plat(before, "pref-platform").means_to_add == ["jpki_card"]
    aizu_b, aizu_a = plat(before, "aizu-platform"), plat(after, "aizu-platform")
    assert aizu_b.offered.model_dump() == {"proofing": 2, "authenticator": 1} and not aizu_b.declared_mismatch
    assert aizu_a.offered.model_dump() == {"proofing": 1, "authenticator": 1} and aizu_a.declared_mismatch
    fb, fa = before.federation[0], after.federation[0]
    assert fb.platforms == ["pref-platform", "aizu-platform"] and not fb.aligned
    assert [(x.platform, x.dimension, x.to) for x in fb.raise_] == [("aizu-platform", "authenticator", 2)]
    assert [(x.platform, x.dimension) for x in fa.raise_] == [
        ("aizu-platform", "proofing"),
        ("aizu-platform", "authenticator"),
    ]
    # 会津ヘルスケア needs public personal authentication (guide 4.1「健康保険・ヘルスケア・電子申請など」)
    assert [m.kind for m in svc(before, "aizu-health").missing] == ["proofing", "authenticator", "means"]
    assert [m.kind for m in svc(after, "aizu-health").missing] == ["proofing", "authenticator", "means"]


# --- platforms: smallest set of means -------------------------------------------------------------------


def test_minimal_means_exact_and_combinations():
    auth = {"categories": {"resident": {"means_required": ["ekyc_ic"]}}}
    p = pref([platform("p", [])], [service("r", "p", "resident"), service("pt", "p", "points")], auth)
    pm = plat(match_auth(p, on=BEFORE), "p")
    assert pm.means_to_add == ["passkey", "ekyc_ic"]
    assert all(len(a.means) == 2 and "ekyc_ic" in a.means for a in pm.alternatives)
    assert {tuple(a.means) for a in pm.alternatives} >= {
        ("password_totp", "ekyc_ic"),
        ("ekyc_ic", "jpki_card"),
    }
    assert ["ekyc_ic", "passkey"] in [c.means for c in pm.combinations]
    assert ["ekyc_ic", "password"] not in [c.means for c in pm.combinations]  # login 1 < 2


def test_minimal_means_none_needed_and_impossible():
    ok = plat(match_auth(pref([platform("p", ["jpki_card"])], [service("x", "p", "public")]), on=BEFORE), "p")
    assert ok.means_to_add == [] and ok.all_satisfied and ok.alternatives == []
    auth = {"categories": {"financial": {"means_required": ["ekyc_image"]}}}
    p = pref([platform("p", ["passkey"])], [service("f", "p", "financial")], auth)
    r = match_auth(p, on=AFTER)
    assert plat(r, "p").means_to_add is None and any("満たせません" in x for x in r.recommendations)


def test_declared_levels_used_without_means_and_mismatch_reported():
    p = pref(
        [
            platform("d", identity_proofing=3, authenticator=3),
            platform("m", ["password"], identity_proofing=2, authenticator=2),
        ],
        [service("a", "d", "medical_advanced"), service("b", "m", "resident")],
    )
    r = match_auth(p, on=BEFORE)
    assert svc(r, "a").satisfied and plat(r, "d").offered_basis == "declared"
    m = plat(r, "m")
    assert m.offered_basis == "means" and m.offered.proofing == 1 and m.declared_mismatch
    assert not svc(r, "b").satisfied
    assert any(f.code == "DECLARED_MISMATCH" and f.platform == "m" for f in r.findings)


# --- across platforms -------------------------------------------------------------------------------------


def chain3():
    plats = [
        platform(
            "a",
            ["jpki_card"],
            data_federation_with=["b"],
            auth_federation_with=["b"],
            user_scope="prefectural",
        ),
        platform("b", ["ekyc_ic", "passkey"], data_federation_with=["c"], auth_federation_with=["c"]),
        platform("c", ["jpki_smartphone"]),
    ]
    servs = [
        service("health", "a", "public", uses_data_from=["c"]),
        service("points", "a", "points", uses_data_from=["c"]),
        service("local", "a", "public", uses_data_from=["a"]),
    ]
    return pref(plats, servs)


def test_federation_chain_of_three_platforms():
    r = match_auth(chain3(), on=BEFORE)
    h = svc(r, "health")
    assert h.satisfied  # its own platform offers 3/3 with JPKI
    assert h.chain == ["a", "b", "c"] and h.effective.model_dump() == {"proofing": 2, "authenticator": 2}
    assert not h.chain_satisfied
    assert svc(r, "points").chain_satisfied and svc(r, "local").chain_satisfied
    assert len(r.denied_flows) == 1
    d = r.denied_flows[0]
    assert (d.service, d.from_platform, d.bottleneck, d.path) == ("health", "c", "b", ["c", "b", "a"])
    assert d.lacking == ["proofing", "authenticator"] and d.federated_path
    assert [f.platforms for f in r.federation] == [["a", "b"], ["b", "c"]]
    for f in r.federation:
        assert not f.aligned and {x.platform for x in f.raise_} == {"b"} and {x.to for x in f.raise_} == {3}
        assert f.means_to_add == {"b": ["jpki_card"]} and f.affected_services == ["health"]
    codes = [x["code"] for x in issue_findings(chain3(), on=BEFORE)]
    assert codes.count("FED_LEVEL_MISMATCH") == 2 and "MULTI_PREF_UNALIGNED" not in codes  # a and c agree


def test_aligned_pair_and_multi_pref_unaligned():
    plats = [
        platform("a", ["jpki_card"], auth_federation_with=["b"], user_scope="prefectural"),
        platform("b", ["jpki_smartphone"]),
        platform("c", ["password"]),
    ]
    r = match_auth(pref(plats, []), on=BEFORE)
    assert [(f.platforms, f.aligned) for f in r.federation] == [(["a", "b"], True)]
    multi = [f for f in r.findings if f.code == "MULTI_PREF_UNALIGNED"]
    # named as the file names it, levels in words (never 「1/1」)
    assert len(multi) == 1 and "基盤 c（身元確認レベル1・当人認証レベル1）" in multi[0].detail
    plats[0]["user_scope"] = "municipal"
    assert not [
        f for f in match_auth(pref(plats, []), on=BEFORE).findings if f.code == "MULTI_PREF_UNALIGNED"
    ]


def test_classification_issue_list_gets_auth_findings():
    p = wb.load(wb.reference.data_dir() / "prefectures" / "07_fukushima.yaml")
    issues = wb.classify(p).issues
    gap = [(i.platform, i.service) for i in issues if i.code == "SERVICE_LEVEL_GAP"]
    assert ("pref-platform", "e-application") in gap and ("aizu-platform", "aizu-health") in gap
    fed = [i for i in issues if i.code == "FED_LEVEL_MISMATCH"]
    assert len(fed) == 1 and fed[0].platform == "aizu-platform" and "当人認証" in fed[0].message
    rules = set(wb.reference.table("issue_rules.csv")["code"])
    assert {f["code"] for f in issue_findings(p, on=AFTER)} <= rules


# --- results ----------------------------------------------------------------------------------------


def test_contract_json_and_frames():
    p = wb.load(wb.reference.data_dir() / "prefectures" / "07_fukushima.yaml")
    r = wb.match_auth(p, on=BEFORE)
    data = r.model_dump(mode="json")
    for s in data["services"]:
        assert {"service", "required", "offered", "satisfied", "missing"} <= set(s)
        assert set(s["required"]) >= {"proofing", "authenticator"} and set(s["offered"]) >= {
            "proofing",
            "authenticator",
        }
        assert isinstance(s["satisfied"], bool) and isinstance(s["missing"], list)
    for f in data["federation"]:
        assert len(f["platforms"]) == 2 and isinstance(f["aligned"], bool) and "raise" in f
    assert data["on"] == "2026-06-18"
    df = r.to_staff_frame()
    verdicts = ["充足" if s.satisfied else "不足" for s in r.services]
    assert len(df) == len(p.services) and list(df["充足"]) == verdicts
    assert set(df["必要"]) >= {"身元確認レベル3・当人認証レベル3", "不要（サインインなし）"}
    m = r.matrix()
    assert list(m.index) == ["portal", "e-application", "aizu-points", "aizu-health"]  # open-data: no sign-in
    assert m.loc["e-application", "jpki_card"] == 2 and m.loc["e-application", "counter_check"] == 1
    assert m.loc["portal", "password"] == 0
    assert match_auth(p, on=AFTER).matrix().loc["aizu-health", "ekyc_image"] == -1
    assert "認証レベル" in r._repr_html_()


def test_charts_build_figures():
    import plotly.graph_objects as go

    from workbench.charts.auth import level_gap_heatmap, means_heatmap

    r = match_auth(chain3(), on=BEFORE)
    fig = means_heatmap(r)
    assert isinstance(fig, go.Figure) and "本人確認手段" in fig.layout.title.text
    # each cell is the result's fit of that means for that service (2 alone, 1 partly, 0 none, -1 expired)
    m = r.matrix()
    assert [list(row) for row in fig.data[0].z] == m.values.tolist() and len(m) == 3
    assert {v for row in fig.data[0].z for v in row} >= {0, 2}
    gap = level_gap_heatmap(r)
    assert "提供" in gap.layout.title.text
    signed = [s for s in r.services if s.basis != "none"]
    assert list(gap.data[0].y) == [f"{s.name}（{r.platform_name(s.platform)}）" for s in signed]
    assert [list(row) for row in gap.data[0].z] == [
        [s.offered.proofing - s.required.proofing, s.offered.authenticator - s.required.authenticator]
        for s in signed
    ]
    assert list(gap.data[0].x) == ["身元確認", "当人認証"]


def test_the_charts_name_services_and_platforms_and_keep_rows_apart():
    """The level charts' rows are what staff read: the file's names, no ids; two services of the same name
    (窓口予約 on two platforms) stay two rows, told apart by their platform's name."""
    from workbench.charts.auth import level_gap_heatmap, means_heatmap

    plats = [platform("a", ["jpki_card"]), platform("b", ["password"])]
    svcs = [
        service("s1", "a", "resident", name="窓口予約"),
        service("s2", "b", "resident", name="窓口予約"),
        service("s3", "b", "resident"),
    ]
    r = match_auth(pref(plats, svcs), on=BEFORE)
    assert list(means_heatmap(r).data[0].y) == ["窓口予約（基盤 a）", "窓口予約（基盤 b）", "サービス s3"]
    assert list(level_gap_heatmap(r).data[0].y) == [
        "窓口予約（基盤 a）",
        "窓口予約（基盤 b）",
        "サービス s3（基盤 b）",
    ]


def test_without_sign_in_services_the_charts_say_so_instead_of_bare_axes():
    """栃木県's sample has no service that needs a sign-in: both level charts say so in a sentence (before,
    numbered axes from -1 to 6 around nothing)."""
    from workbench.charts.auth import level_gap_heatmap, means_heatmap
    from workbench.samples import load_sample

    r = match_auth(load_sample("09"), on=BEFORE)
    for fig in (means_heatmap(r), level_gap_heatmap(r)):
        assert not fig.layout.xaxis.visible and not fig.layout.yaxis.visible
        assert fig.layout.annotations[0].text.startswith("サインインが必要なサービスがありません")
    shown = means_heatmap(r, include_open=True)
    assert shown.layout.xaxis.visible is not False and len(shown.data[0].y) == len(r.services)
