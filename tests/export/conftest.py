import pytest


@pytest.fixture(autouse=True)
def memory_budget(monkeypatch):
    """A fixed 4 GB budget, so what is accepted or refused does not depend on the machine's free memory
    (tests that probe the limit set their own)."""
    monkeypatch.setenv("MESA_MEMORY_LIMIT_GB", "4")
