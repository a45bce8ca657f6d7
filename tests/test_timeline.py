"""The timeline of Chapter 1 as data: ordered, sourced, linked to chapters (dlcourse.experiments.timeline)."""
import dataclasses
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from dlcourse.experiments.timeline import (  # noqa: E402
    AI_WINTERS,
    CHAPTER_TITLES,
    MILESTONES,
    Milestone,
    milestones_for_chapter,
    plot_timeline,
)

BIB = Path(__file__).resolve().parents[1] / "book" / "references.bib"


def bib_keys() -> set[str]:
    return set(re.findall(r"^@\w+\{([^,\s]+),", BIB.read_text(encoding="utf-8"), flags=re.M))


def test_years_sorted_and_in_range():
    years = [m.year for m in MILESTONES]
    assert years == sorted(years)
    assert years[0] == 1943 and years[-1] == 2020


def test_every_bibkey_exists():
    keys = bib_keys()
    missing = [m.bibkey for m in MILESTONES if m.bibkey not in keys]
    assert not missing, f"not in references.bib: {missing}"


def test_chapters_valid_and_fields_filled():
    for m in MILESTONES:
        assert m.chapter is None or m.chapter in range(1, 9), m
        assert m.name.strip() and m.people.strip(), m
    assert {m.chapter for m in MILESTONES if m.chapter} == set(range(1, 9))


def test_required_milestones_present():
    names = " | ".join(f"{m.year} {m.name}" for m in MILESTONES)
    for must in ["1943", "1958 Perceptron", "1986", "1997 LSTM", "2012 AlexNet", "2017 Transformer", "2020 GPT-3",
                 "2020 SimCLR"]:
        assert must in names, must


def test_winters_inside_range_and_disjoint():
    lo, hi = MILESTONES[0].year, MILESTONES[-1].year
    previous_end = lo
    for start, end in AI_WINTERS:
        assert lo <= start < end <= hi
        assert start >= previous_end
        previous_end = end


def test_milestone_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'year'"):
        MILESTONES[0].year = 1900  # type: ignore[misc]
    assert isinstance(MILESTONES[0], Milestone)


def test_milestones_for_chapter():
    assert [m.name for m in milestones_for_chapter(5)][-1] == "LSTM"
    assert len(CHAPTER_TITLES) == 8
    with pytest.raises(ValueError, match="chapter"):
        milestones_for_chapter(9)


def test_plot_draws_every_milestone_and_winter():
    ax = plot_timeline()
    texts = [t.get_text() for t in ax.texts]
    assert sum("AI winter" in t for t in texts) == len(AI_WINTERS)
    assert sum(t[:4].isdigit() for t in texts) == len(MILESTONES)
    matplotlib.pyplot.close(ax.figure)
