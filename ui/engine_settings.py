"""Engine import settings ready to paste: the exporter's `EngineSettings.import_settings`, rounded
to what the engines' dialogs accept, one row per value with a copy button."""

from __future__ import annotations

import html
from dataclasses import dataclass

from mesa.export.engines import EngineSettings

# decimals per kind of value: spacings and scales 3 (Unreal's XY scale in cm, Z scale in %),
# a location in whole centimetres, other lengths in metres 2 (centimetres)
SCALE_DECIMALS = 3
LOCATION_DECIMALS = 0
LENGTH_DECIMALS = 2

COPY_SCRIPT = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-copy]');
  if (!button) return;
  navigator.clipboard.writeText(button.dataset.copy).then(
    () => { button.textContent = 'Copied'; setTimeout(() => { button.textContent = 'Copy'; }, 1200); },
    () => { button.textContent = 'Select and copy'; });
});
"""


@dataclass(frozen=True)
class PasteValue:
    """One import-dialog value: where it goes ("Scale X cm") and the text to paste ("6047.62")."""

    label: str
    text: str


def decimals_for(key: str) -> int:
    """Decimals for the setting named `key` (see the constants above)."""
    if "location" in key:
        return LOCATION_DECIMALS
    if "scale" in key or "spacing" in key:
        return SCALE_DECIMALS
    return LENGTH_DECIMALS


def format_value(key: str, value: object) -> str:
    """`value` as an engine dialog takes it: floats rounded (no trailing zeros beyond what the
    rounding keeps), lists joined by ", ", booleans as on/off, text unchanged.

    >>> format_value("scale_z_percent", 156.8181818)
    '156.818'
    >>> format_value("location_z_cm", 40150.4)
    '40150'
    """
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:.{decimals_for(key)}f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(key, item) for item in value)
    return str(value)


def paste_values(engine: EngineSettings) -> list[PasteValue]:
    """One `PasteValue` per import setting, nested presets (Godot's Terrain3D / HTerrain) prefixed."""
    values: list[PasteValue] = []

    def walk(settings: dict, prefix: str) -> None:
        for key, value in settings.items():
            label = f"{prefix}{key.replace('_', ' ')}"
            if isinstance(value, dict):
                walk(value, f"{label} · ")
            else:
                values.append(PasteValue(label, format_value(key, value)))

    walk(engine.import_settings, "")
    return values


def settings_html(values: list[PasteValue]) -> str:
    """An HTML table, one row per value with a Copy button (`COPY_SCRIPT` handles the clicks)."""
    if not values:
        return ""
    rows = "".join(f"<tr><td>{html.escape(v.label)}</td><td><code>{html.escape(v.text)}</code></td>"
                   f"<td><button type='button' data-copy='{html.escape(v.text, quote=True)}'>Copy</button></td></tr>"
                   for v in values)
    return f"<table class='paste-settings'><tbody>{rows}</tbody></table>"
