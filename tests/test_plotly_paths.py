"""Plotly's property paths, parsed once per path, give exactly what plotly's own parser gives."""

from __future__ import annotations

import gc

import plotly.graph_objects as go
import pytest
from plotly import basedatatypes

from app import charts, plotly_paths

PATHS = [
    "", "x", "xaxis_title_text", "marker.color", "foo.bar[1]", "error_x", "error_x_thickness", "a_path_",
    "_another_path", "yet__another_path", "layout.xaxis.range[0]", "hoverlabel_font_size", "title.font.family",
    "legend_orientation", "xaxis2.tickformat", "__", "_", "data[0].marker.line.width",
]


@pytest.mark.parametrize("path", PATHS)
def test_a_path_parses_as_plotly_parses_it_every_time(path) -> None:
    own = plotly_paths._PLOTLY_OWN(path)
    first, second = plotly_paths.str_to_dict_path_full(path), plotly_paths.str_to_dict_path_full(path)
    assert first == second == own
    assert first[1] is not second[1], "each caller gets a list of its own, as from plotly"


def test_the_apps_charts_use_it_and_a_figure_is_built_as_before() -> None:
    assert charts.plotly_paths is plotly_paths and basedatatypes._str_to_dict_path_full is plotly_paths.str_to_dict_path_full

    def figure() -> go.Figure:
        shown = go.Figure(go.Bar(x=["a", "b"], y=[1, 2], marker_color="#1d4f91", error_y_thickness=2))
        shown.update_layout(xaxis_title_text="月份", yaxis_tickformat=".0%", legend_orientation="h")
        shown.update_traces(hoverlabel_font_size=14, selector={"type": "bar"})
        return shown

    patched = figure().to_json()
    basedatatypes._str_to_dict_path_full = plotly_paths._PLOTLY_OWN
    try:
        assert figure().to_json() == patched
    finally:
        plotly_paths.install()


def _cyclic_garbage(call) -> int:  # noqa: ANN001
    """Objects that `call` leaves in reference cycles (what only the collector frees)."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        call()
        gc.collect()
        return len(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_parsing_a_path_leaves_nothing_for_the_collector() -> None:
    plotly_paths.str_to_dict_path_full("xaxis_title_text")  # parsed once, kept
    assert _cyclic_garbage(lambda: [plotly_paths.str_to_dict_path_full("xaxis_title_text") for _ in range(20)]) == 0
    # plotly's own leaves a class and its parts on every call: what this avoids
    assert _cyclic_garbage(lambda: [plotly_paths._PLOTLY_OWN("xaxis_title_text") for _ in range(20)]) >= 20 * 5
