"""UI tests run the tiny 32 px model on one thread: intra-op threads only add overhead at that size,
and on a busy machine they stall (OpenMP waits for a descheduled thread). Restored afterwards."""

import pytest


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def session(tmp_path):
    """An empty `ui.session.Session` whose files live in tmp_path, closed afterwards."""
    from ui.session import Session

    session = Session.create(tmp_path)
    yield session
    session.close()
