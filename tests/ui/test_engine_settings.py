"""Engine settings ready to paste: rounded as the import dialogs take them, one copy button each."""

from mesa.export.engines import prepare_engine
from ui.engine_settings import format_value, paste_values, settings_html

import numpy as np


def settings(engine):
    elevation = np.linspace(100.0, 2100.0, 128 * 128, dtype=np.float32).reshape(128, 128)
    return prepare_engine(engine, elevation, 60.0)[1]


def test_unreal_values_are_rounded_for_the_dialog():
    unreal = settings("unreal")
    values = {v.label: v.text for v in paste_values(unreal)}
    assert values["scale x cm"] == f"{unreal.import_settings['scale_x_cm']:.3f}"
    assert values["scale z percent"] == f"{unreal.import_settings['scale_z_percent']:.3f}"
    assert values["location z cm"] == f"{unreal.import_settings['location_z_cm']:.0f}"
    assert abs(float(values["scale z percent"]) * 512 / 100 - (unreal.max_m - unreal.min_m)) < 0.01  # < 1 cm
    assert values["landscape size"] == "253 x 253"


def test_unity_and_godot_have_values_too():
    unity = {v.label: v.text for v in paste_values(settings("unity"))}
    assert unity["terrain height m"] == "2000.00" and unity["flip vertically"] == "on"
    godot = {v.label: v.text for v in paste_values(settings("godot"))}
    assert godot["terrain3d · vertex spacing m"].count(".") == 1
    assert godot["hterrain · map scale"].count(", ") == 2
    assert format_value("r16_range_m", [1.234, 5.678]) == "1.23, 5.68"


def test_every_value_has_a_copy_button_with_escaped_text():
    html = settings_html(paste_values(settings("unreal")))
    assert html.count("data-copy=") == len(paste_values(settings("unreal"))) == html.count(">Copy</button>")
    assert settings_html([]) == ""
    from ui.engine_settings import PasteValue

    assert "data-copy='a&#x27;b'" in settings_html([PasteValue("x", "a'b")])
