"""A page and its session: find the session again after a reload (its token lives in the tab's
`sessionStorage`), switch Generate and Cancel with the run, and stop a run whose page has gone.

Plain functions `(inputs, state) -> (outputs, state)`, as every callback in `ui/`."""

from __future__ import annotations

import gradio as gr

from ui import generate, inspector
from ui.lifetime import SessionRegistry
from ui.session import Session

STORAGE_KEY = "mesa-studio-session"  # sessionStorage: one per tab, kept across reloads of that tab
READ_TOKEN_JS = f"(state, token) => [state, window.sessionStorage.getItem('{STORAGE_KEY}') || '']"
WRITE_TOKEN_JS = f"(token) => {{ window.sessionStorage.setItem('{STORAGE_KEY}', token || ''); return []; }}"
GENERATE_LABEL = "Generate"
RUNNING_LABEL = "Generating…"


def restore(state: Session | None, token: object, sessions: SessionRegistry | None, client_id: str | None):
    """Page load: the tab's live session, else the one whose `token` the tab kept (a reload), else a
    new one. Returns (session, token, run gallery, status, history gallery, compare A, compare B);
    the status welcomes back a page whose session already has results."""
    live = state if state is not None and not state.closed else None
    found = sessions.find(token) if sessions is not None and live is None else None
    session = live or found or generate.open_session(state, sessions)
    session.client_id = client_id or session.client_id
    status = ""
    if session.history:
        stopped = " (the run that was going when the page was left is stopped)" if session.running else ""
        status = f"Welcome back: the {len(session.history)} result(s) of this session are in the history below{stopped}."
    run_tiles = generate.gallery_items(session, session.latest_results())
    return (session, session.token, run_tiles, status, *history_outputs(session))


def history_outputs(session: Session | None):
    """(history gallery tiles, compare A update, compare B update), newest first."""
    items = generate.gallery_items(session, list(reversed(session.history)), history=True) if session else []
    choices = inspector.history_labels(session)
    return (items, gr.update(choices=choices, value=choices[0][1] if choices else None),
            gr.update(choices=choices, value=choices[1][1] if len(choices) > 1 else None))


def run_started(session: Session | None, num_seeds, steps, sessions: SessionRegistry | None, client_id: str | None):
    """The click on Generate: (session, Generate off, Cancel on, status saying so)."""
    session = generate.arm_run(session, sessions, client_id)
    session.client_id = client_id or session.client_id
    return (session, gr.update(interactive=False, value=RUNNING_LABEL), gr.update(interactive=True),
            generate.running_message(num_seeds, steps))


def run_ended():
    """After the run, however it ended: (Generate on, Cancel off)."""
    return gr.update(interactive=True, value=GENERATE_LABEL), gr.update(interactive=False)
