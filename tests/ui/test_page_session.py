"""A page and its session: restore after a reload, Generate off and Cancel on during a run."""

import numpy as np

from tests.ui.test_lifetime import terrain
from ui.lifetime import SessionRegistry
from ui.page_session import GENERATE_LABEL, RUNNING_LABEL, restore, run_ended, run_started


def test_reload_restores_the_history(tmp_path):
    sessions = SessionRegistry(tmp_path)
    session, token, tiles, status, history, *_ = restore(None, "", sessions, "page-1")
    assert tiles == [] and history == [] and status == "" and token == session.token
    session.add(terrain(), np.zeros((8, 8, 3), np.uint8))
    session.latest = [1]
    again, token_again, tiles, status, history, compare_a, _ = restore(None, token, sessions, "page-2")
    assert again is session and token_again == token and again.client_id == "page-2"
    assert len(tiles) == 1 and len(history) == 1 and "seed 1" in history[0][1] and "hills" in history[0][1]
    assert status.startswith("Welcome back: the 1 result(s)") and compare_a["value"] == 1
    stranger = restore(None, "not-a-token", sessions, "page-3")[0]
    assert stranger is not session and stranger.history == []
    sessions.close_all()


def test_generate_is_off_while_a_run_goes(tmp_path):
    sessions = SessionRegistry(tmp_path)
    session, generate_button, cancel, status = run_started(None, 4, 50, sessions, "page-1")
    assert generate_button["interactive"] is False and generate_button["value"] == RUNNING_LABEL
    assert cancel["interactive"] is True and status.startswith("Generating 4 seed(s) × 50 steps")
    assert session.run_client == "page-1" and not session.cancel.is_set()
    generate_button, cancel = run_ended()
    assert (generate_button["interactive"], generate_button["value"], cancel["interactive"]) == (True, GENERATE_LABEL,
                                                                                               False)
    sessions.close_all()
