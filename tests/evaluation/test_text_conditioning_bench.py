"""benchmarks/text_conditioning.py: the caption edits its season-twin comparison rests on."""

from benchmarks.text_conditioning import biome_swapped, month_swapped

TWINS = ["A Sentinel-2 image of broadleaf forests and hills in Germany in January",
         "A Sentinel-2 image of broadleaf forests and hills in Germany in July",
         "A Sentinel-2 image of deserts and plains in Egypt in May",
         "A Sentinel-2 image of deserts and plains in Egypt in November"]


def test_each_twin_gets_the_other_twins_month_and_nothing_else_changes():
    assert month_swapped(TWINS) == [TWINS[1], TWINS[0], TWINS[3], TWINS[2]]  # twins differ only in the month


def test_the_biome_swap_replaces_only_the_biome():
    swapped = biome_swapped(TWINS)
    assert swapped[0] == "A Sentinel-2 image of deserts and hills in Germany in January"
    assert swapped[2] == "A Sentinel-2 image of tropical rainforests and plains in Egypt in May"
