"""The briefing page's figures (plotly), built from suppressed tables: what a reader sees on the axes and bars."""

from __future__ import annotations

from dashboard.components.briefing_charts import gender_figure, head_count_axis, missions_figure
from services.briefing.suppression import SuppressedTable


def test_head_count_axes_tick_on_whole_numbers() -> None:
    assert head_count_axis(3)["dtick"] == 1
    assert head_count_axis(6)["dtick"] == 1
    assert head_count_axis(7)["dtick"] == 2
    assert head_count_axis(21)["dtick"] == 5
    assert head_count_axis(83)["dtick"] == 20
    assert head_count_axis(0)["dtick"] == 1


def test_small_missions_chart_has_whole_ticks_and_a_bar_for_a_hidden_split() -> None:
    table = SuppressedTable(rows=["UNMISS", "UNAMA"], columns=["JCSC", "SPC"],
                            cells={("UNMISS", "JCSC"): 0, ("UNMISS", "SPC"): 3, ("UNAMA", "JCSC"): None,
                                   ("UNAMA", "SPC"): None},
                            row_totals={"UNMISS": 3, "UNAMA": 4})
    fig = missions_figure(table)
    assert fig.layout.xaxis.dtick == 1 and fig.layout.xaxis.tick0 == 0
    assert fig.layout.xaxis.title.text == "experts deployed"  # the axis settings did not replace the title
    hatched = next(t for t in fig.data if t.name == "split suppressed")
    assert dict(zip(hatched.y, hatched.x, strict=True)) == {"UNAMA": 4, "UNMISS": 0}
    assert gender_figure({"0": 2, "1": None, "2": 3, "3": 1}).layout.yaxis.dtick == 1
