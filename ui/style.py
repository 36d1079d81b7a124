"""The page's CSS: the bundled font (the same letters in every browser, offline), the run
status, and the layout rules that keep tiles, captions and file names readable from phone
to 1920 px screens."""

from __future__ import annotations

from pathlib import Path

FONT_DIR = Path(__file__).resolve().parents[1] / "assets" / "fonts"
FONT_FAMILY = "MESA Source Sans Pro"


def font_face_css(url_prefix: str = "/gradio_api/file=") -> str:
    """@font-face rules for the bundled Source Sans Pro: regular for 100-500, bold for 600-900
    (Gradio's own semibold file holds only a few dozen glyphs, so bold capitals fell back to
    another font and looked small)."""
    rules = []
    for weights, name in (("100 500", "SourceSansPro-Regular.woff2"), ("600 900", "SourceSansPro-Bold.woff2")):
        rules.append(f"@font-face {{ font-family: '{FONT_FAMILY}'; src: url('{url_prefix}{FONT_DIR / name}') "
                     f"format('woff2'); font-weight: {weights}; font-style: normal; font-display: block; }}")
    return "\n".join(rules)


LAYOUT_CSS = f"""
:root, .gradio-container {{ --font: '{FONT_FAMILY}', sans-serif; }}
.gradio-container, .gradio-container * {{ font-family: '{FONT_FAMILY}', sans-serif; }}
.gradio-container code, .gradio-container pre, .gradio-container textarea.mono {{ font-family: monospace; }}
#model-banner {{ border-left: 4px solid #d97706; padding: 6px 12px; background: #fffbeb; }}
#prompt-preview textarea {{ font-weight: 600; }}
#status {{ min-height: 2.5em; }}
#gallery .thumbnail-item, #history .thumbnail-item {{ aspect-ratio: 2 / 1; max-width: 640px; }}
#gallery .caption-label {{ white-space: normal; overflow: visible; text-overflow: clip; max-width: 100%;
    line-height: 1.2; }}
#downloads td.filename, #downloads td.filename .stem {{ white-space: normal; overflow: visible; text-overflow: clip;
    overflow-wrap: anywhere; word-break: break-all; }}
#downloads td.filename {{ display: table-cell; max-width: none; }}
#compare-a input, #compare-b input {{ padding-right: 2.5em; text-overflow: ellipsis; }}
.paste-settings td {{ padding: 2px 8px 2px 0; vertical-align: middle; }}
.paste-settings button {{ border: 1px solid #9ca3af; border-radius: 4px; padding: 0 8px; cursor: pointer; }}
"""


def page_css() -> str:
    """All of the page's CSS (pass to `launch(css=...)`)."""
    return font_face_css() + LAYOUT_CSS


CSS = page_css()
