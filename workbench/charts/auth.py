"""Figures for the authentication-level matching (workbench.auth). Builders return ``go.Figure``; they never
compute domain results and never call ``show()``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

    from ..auth import AuthMatch

from .. import reference
from ..text import plain
from .plaintext import plain_labels

FIT_TEXT = {-1: "期限切れ", 0: "不適合", 1: "一部", 2: "単独で充足"}


def service_labels(result: AuthMatch, services: list[str], with_platform: bool = False) -> dict[str, str]:
    """Service id → the label staff read on an axis: the file's name (with its platform's name when asked),
    the platform's name added where two services share a name and a number where they still coincide (a
    heatmap's rows must differ). No ids."""
    by_id = {s.service: s for s in result.services}

    def name(sid: str) -> str:
        return plain(by_id[sid].name if sid in by_id and by_id[sid].name else sid)

    def on(sid: str) -> str:
        return plain(result.platform_name(by_id[sid].platform)) if sid in by_id else ""

    out = {sid: f"{name(sid)}（{on(sid)}）" if with_platform else name(sid) for sid in services}
    if not with_platform:
        shared = {v for v in out.values() if list(out.values()).count(v) > 1}
        out = {sid: f"{v}（{on(sid)}）" if v in shared else v for sid, v in out.items()}
    seen: dict[str, int] = {}
    for sid, v in out.items():
        seen[v] = seen.get(v, 0) + 1
        if seen[v] > 1:
            out[sid] = f"{v} {seen[v]}"
    return out


@plain_labels
def means_heatmap(result: AuthMatch, include_open: bool = False) -> go.Figure:
    """Services × ID means: whether each means meets each service's requirement on the result's date.

    Colour: 単独で充足 (the means alone satisfies the service, law-named means included) / 一部 (one
    dimension, or a means the law names) / 不適合 / 期限切れ. ● marks means the service's platform has.
    """
    import plotly.graph_objects as go

    long = result.matrix_frame(include_open)
    services = list(dict.fromkeys(long["service"])) if len(long) else []
    means = [m.code for m in result.means_catalogue]
    labels = {m.code: m.label for m in result.means_catalogue}
    names = {s.service: plain(s.name) for s in result.services}
    rows = service_labels(result, services)
    cells = {(r.service, r.means): r for r in long.itertuples(index=False)}
    z, text, hover = [], [], []
    for s in services:
        zr, tr, hr = [], [], []
        for m in means:
            r = cells[(s, m)]
            zr.append(r.fit)
            tr.append("●" if r.on_platform else "")
            hr.append(
                f"{names[s]} × {labels[m]}<br>{FIT_TEXT[r.fit]}"
                f"<br>身元確認 {'○' if r.proofing_ok else '×'} ／ 当人認証 {'○' if r.authenticator_ok else '×'}"
                + ("<br>法令・ガイドが名指しする手段" if r.named_by_law else "")
                + ("<br>基盤で提供中" if r.on_platform else "")
            )
        z.append(zr)
        text.append(tr)
        hover.append(hr)
    colorscale = [
        [0.0, "#bdbdbd"],
        [0.25, "#bdbdbd"],
        [0.25, "#f7f7f7"],
        [0.5, "#f7f7f7"],
        [0.5, "#fdd49e"],
        [0.75, "#fdd49e"],
        [0.75, "#41ab5d"],
        [1.0, "#41ab5d"],
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[labels[m] for m in means],
            y=[rows[s] for s in services],
            zmin=-1.5,
            zmax=2.5,
            colorscale=colorscale,
            text=text,
            texttemplate="%{text}",
            hovertext=hover,
            hoverinfo="text",
            xgap=1,
            ygap=1,
            colorbar={
                "tickvals": [-1, 0, 1, 2],
                "ticktext": [FIT_TEXT[k] for k in (-1, 0, 1, 2)],
                "title": {"text": "適合"},
            },
        )
    )
    fig.update_layout(
        title=f"サービス × 本人確認手段（{result.on.isoformat()} 時点、●は基盤で提供中）",
        xaxis={"title": "本人確認手段（既定の仮定を含む）", "tickangle": -40},
        yaxis={"title": "サービス", "autorange": "reversed"},
        margin={"l": 200, "b": 160},
    )
    if not services:
        _say_empty(
            fig,
            "サインインが必要なサービスがありません（「サインイン不要のサービスも表示」で全サービスを出せます）",
        )
    return fig


def _say_empty(fig: go.Figure, text: str) -> None:
    """A matrix without rows: a sentence instead of bare numbered axes (栃木県's sample has no sign-in)."""
    fig.update_layout(
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {"text": text, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5, "showarrow": False}
        ],
        margin={"l": 40, "b": 40},
    )


@plain_labels
def level_gap_heatmap(result: AuthMatch) -> go.Figure:
    """Services × (身元確認, 当人認証): offered minus required on the service's own platform (negative =
    short). Services needing no sign-in are left out."""
    import plotly.graph_objects as go

    rows = [s for s in result.services if s.basis != "none"]
    dims = list(reference.enum_codes("auth_dimension"))
    z = [[getattr(s.offered, d) - getattr(s.required, d) for d in dims] for s in rows]
    # levels in words (guide 3.4), never a bare 「1／3」
    text = [
        [f"提供レベル{getattr(s.offered, d)}・必要レベル{getattr(s.required, d)}" for d in dims] for s in rows
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[reference.label("auth_dimension", d) for d in dims],
            y=list(service_labels(result, [s.service for s in rows], with_platform=True).values()),
            zmin=-3,
            zmax=3,
            zmid=0,
            colorscale="RdYlGn",
            text=text,
            texttemplate="%{text}",
            hovertemplate="%{y}<br>%{x}: %{text}<extra></extra>",
            colorbar={"title": {"text": "提供−必要"}},
            xgap=2,
            ygap=2,
        )
    )
    fig.update_layout(
        title=f"サービス別の認証レベル 提供／必要（{result.on.isoformat()} 時点）",
        yaxis={"autorange": "reversed"},
        margin={"l": 220},
    )
    if not rows:
        _say_empty(fig, "サインインが必要なサービスがありません")
    return fig
