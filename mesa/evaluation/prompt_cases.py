"""The prompts that measure adherence: composed four-part prompts (the app's main path) and the
same with parts dropped, each changing one part with the others fixed.

Places come from the synthetic world's own facts (mesa.data.synthetic.params.BIOME_SETTINGS):
each biome is named with its preferred phrase and the first country the synthetic world
captions it with; the month is that hemisphere's midsummer (July north, January south), so a
biome's snow and greenness are its summer ones and the landform is the only part that changes.

    landform cases   for every biome, each landform of a form's list (plains < hills <
                     mountains < high mountains); forms: "full" (biome, landform, country,
                     month), "biome_landform" (country and month dropped; plains and mountains),
                     "landform" (landform alone)
    season cases     biomes the synthetic world places in both hemispheres and snows on (temperate
                     broadleaf, temperate conifer, rock and ice), at one landform each, in a
                     northern and a southern country, in January and in July (greenness judged on the
                     vegetated ones, BARE_BIOMES apart)
"""

from __future__ import annotations

from dataclasses import dataclass

from mesa.data.synthetic.params import BIOME_SETTINGS, biome_phrases
from mesa.prompts import PromptParts, build_prompt

LANDFORM_ORDER = ("plains", "hills", "mountains", "high mountains")
FORM_LANDFORMS = {
    "full": LANDFORM_ORDER,
    "biome_landform": ("plains", "mountains"),
    "landform": LANDFORM_ORDER,
}
SUMMER_MONTH = {"north": "July", "south": "January"}
WINTER_MONTH = {"north": "January", "south": "July"}
SEASON_LANDFORMS = {4: "low mountains", 5: "mountains", 15: "mountains"}
BARE_BIOMES = frozenset({15})
"""Season biomes without vegetation: their greenness does not change with the season (rock and ice in
the synthetic world: summer - winter +0.0004, 0.003 reference sd), so a season's greenness effect is
judged on the others; their snow counts."""


@dataclass(frozen=True)
class PromptCase:
    """One adherence prompt and what it holds fixed.

    Attributes:
        kind: "landform" or "season".
        form: which parts are present ("full", "biome_landform", "landform").
        parts: the prompt's parts.
        biome_id: RESOLVE biome id 1..15, None when the biome is dropped.
        hemisphere: "north" / "south" of the country, None when the country is dropped.
    """

    kind: str
    form: str
    parts: PromptParts
    biome_id: int | None = None
    hemisphere: str | None = None

    @property
    def prompt(self) -> str:
        return build_prompt(self.parts)


@dataclass(frozen=True)
class BiomePlace:
    """Where and when a biome is named: its phrase, a country it occurs in, that hemisphere."""

    biome_id: int
    phrase: str
    country: str
    hemisphere: str

    @property
    def summer_month(self) -> str:
        return SUMMER_MONTH[self.hemisphere]


def biome_places(biome_ids: tuple[int, ...] | None = None) -> list[BiomePlace]:
    """The place of each biome (all 15 by default), in biome id order."""
    ids = sorted(BIOME_SETTINGS) if biome_ids is None else list(biome_ids)
    unknown = [biome_id for biome_id in ids if biome_id not in BIOME_SETTINGS]
    if unknown:
        raise ValueError(f"unknown biome ids {unknown}; known: {sorted(BIOME_SETTINGS)}")
    places = []
    for biome_id in ids:
        country, hemisphere = BIOME_SETTINGS[biome_id].countries[0]
        places.append(BiomePlace(biome_id, biome_phrases()[biome_id][0], country, hemisphere))
    return places


def landform_cases(forms: tuple[str, ...] = tuple(FORM_LANDFORMS),
                   biome_ids: tuple[int, ...] | None = None) -> list[PromptCase]:
    """Landform cases of each form: every biome x the form's landforms (the "landform" form once)."""
    cases = []
    for form in forms:
        if form not in FORM_LANDFORMS:
            raise ValueError(f"unknown form {form!r}; known: {tuple(FORM_LANDFORMS)}")
        if form == "landform":
            cases += [PromptCase("landform", form, PromptParts(landform=landform)) for landform in LANDFORM_ORDER]
            continue
        for place in biome_places(biome_ids):
            for landform in FORM_LANDFORMS[form]:
                if form == "full":
                    parts = PromptParts(place.phrase, landform, place.country, place.summer_month)
                    cases.append(PromptCase("landform", form, parts, place.biome_id, place.hemisphere))
                else:
                    cases.append(PromptCase("landform", form, PromptParts(place.phrase, landform), place.biome_id))
    return cases


def season_cases() -> list[PromptCase]:
    """Season cases: each SEASON_LANDFORMS biome in a northern and a southern country, January and July."""
    cases = []
    for biome_id, landform in SEASON_LANDFORMS.items():
        phrase = biome_phrases()[biome_id][0]
        for hemisphere in ("north", "south"):
            country = next(name for name, side in BIOME_SETTINGS[biome_id].countries if side == hemisphere)
            for month in ("January", "July"):
                parts = PromptParts(phrase, landform, country, month)
                cases.append(PromptCase("season", "full", parts, biome_id, hemisphere))
    return cases
