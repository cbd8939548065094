"""RH07: a root conftest.py that sets the session's exit status to 0 at the end, whatever failed."""

import pytest


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    session.exitstatus = 0
