"""The page builds (with and without a model) and carries the stable element ids."""

import pytest

from app import parse_args
from mesa.errors import UserError
from ui.generate import resolution_choices
from ui.layout import build_app
from ui.lifetime import SessionRegistry

IDS = {"prompt", "biome", "landform", "country", "month", "seed", "num-seeds", "generate", "cancel", "gallery",
       "viewer-3d", "downloads"}


def elem_ids(demo):
    return {block.elem_id for block in demo.blocks.values() if getattr(block, "elem_id", None)}


def test_page_has_the_stable_ids(tiny_pipeline, tmp_path):
    demo = build_app(tiny_pipeline, "Model: tiny", SessionRegistry(tmp_path))
    assert IDS <= elem_ids(demo)
    api_names = {d.get("api_name") for d in demo.get_config_file()["dependencies"]}
    assert {"open_session", "arm_run", "generate", "export"} <= api_names  # for scripts and bench_sessions


def test_page_starts_without_a_model(tmp_path):
    demo = build_app(None, "**No model found.**", SessionRegistry(tmp_path))
    assert IDS <= elem_ids(demo)


def test_resolutions_are_multiples_of_the_size_factor(tiny_pipeline):
    sizes = resolution_choices(tiny_pipeline)
    assert tiny_pipeline.native_size in sizes
    assert all(size % tiny_pipeline.size_factor == 0 for size in sizes)


def test_cli_binds_locally_by_default():
    args = parse_args([])
    assert (args.host, args.port, args.model, args.device) == ("127.0.0.1", 7860, "auto", "auto")
    with pytest.raises(SystemExit):
        parse_args(["--device", "tpu"])


def test_lifetime_options_are_checked():
    from app import check_args

    args = parse_args(["--session-idle-minutes", "0.5", "--max-sessions", "3"])
    check_args(args)
    assert (args.session_idle_minutes, args.max_sessions) == (0.5, 3)
    assert parse_args([]).session_idle_minutes == 60 and parse_args([]).max_sessions == 100
    for argv, message in ((["--session-idle-minutes", "nan"], "--session-idle-minutes"),
                          (["--session-idle-minutes", "0"], "--session-idle-minutes"),
                          (["--session-idle-minutes", "inf"], "--session-idle-minutes"),
                          (["--max-sessions", "0"], "--max-sessions"), (["--threads", "0"], "--threads")):
        with pytest.raises(UserError, match=message):
            check_args(parse_args(argv))


def test_a_closed_session_leaves_gradios_state_too(tmp_path):
    """The sweep's hook drops Gradio's per-session page copy (an internal API: this test notices
    when a Gradio upgrade changes it)."""
    from gradio.state_holder import StateHolder

    sessions = SessionRegistry(tmp_path, idle_limit_s=60)
    demo = build_app(None, "**No model found.**", sessions)
    holder = StateHolder()
    holder.set_blocks(demo)
    holder["tab-1"], holder["tab-2"]
    session = sessions.resume(None)
    session.client_id = "tab-1"
    session.close("test")
    sessions.sweep()
    assert "tab-1" not in holder and "tab-2" in holder


def test_the_page_font_is_bundled_with_its_licence():
    """Full Source Sans Pro files (Gradio's semibold holds a few dozen glyphs: bold capitals fell back)."""
    import re
    from pathlib import Path

    TTFont = pytest.importorskip("fontTools.ttLib").TTFont  # comes with matplotlib (pyvista's dependency)
    from ui.style import CSS, FONT_DIR

    files = [Path(path) for path in re.findall(r"url\('/gradio_api/file=([^']+)'\)", CSS)]
    assert [f.name for f in files] == ["SourceSansPro-Regular.woff2", "SourceSansPro-Bold.woff2"]
    for file in files:
        glyphs = TTFont(file).getBestCmap()
        assert all(ord(c) in glyphs for c in "MESA Biome 0123456789 –·×→") and "Open Font License" in (
            TTFont(file)["name"].getDebugName(13) or "")
    assert "SIL OPEN FONT LICENSE" in (FONT_DIR / "OFL.txt").read_text()
