"""Shared test set-up: where the seed program is (said in pytest's header), a fixture for it,
and clean skip reasons when it is missing.

The seed program is not part of the repository: tests/seedref.py finds and loads it, and
skips a test that needs it when it is not available. The helpers themselves live in
importable modules (`seedref`, `catalogue`, `webserver`), so a test file says where each
comes from.
"""

import pytest
import seedref


def pytest_report_header(config):
    path, reason = seedref.find_seed_program()
    if path is not None:
        return f"seed program: {path}"
    return f"seed program: not found; the tests that need it are skipped ({reason})"


@pytest.fixture
def seed_program_path():
    """The seed program's path; the test is skipped (with where to get it) when it is not available."""
    return seedref.seed_program()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skip for the missing seed program reads as its one-line reason. (Hypothesis appends
    "Failing explicit example: ..." to an exception raised in an @example, skips included:
    here nothing failed.)"""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        path, line, message = report.longrepr
        if seedref.MISSING in message:
            report.longrepr = (path, line, message.splitlines()[0])
