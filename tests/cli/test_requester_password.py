"""`labelhub requester set-password NAME`: a page password for a requester made on the command line,
typed twice at a prompt or read from stdin."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner, Result

from labelhub.cli import main
from labelhub.errors import AuthenticationError
from labelhub.models import Marketplace
from labelhub.services import accounts


@pytest.fixture
def run_with_input(cli_env):
    """`labelhub ARGS` with ``stdin`` as its standard input, in the test's settings."""
    inherited: dict[str, str | None] = {k: None for k in os.environ if k.startswith("LABELHUB_")}

    def run(stdin: str, *args: str) -> Result:
        return CliRunner().invoke(main, list(args), input=stdin, env=inherited | cli_env, catch_exceptions=False)

    return run


def test_set_password_from_the_prompt_lets_the_requester_sign_in(run_with_input, runtime, factory):
    lab = factory.requester("cli-lab")

    result = run_with_input("page-password-1\npage-password-1\n", "requester", "set-password", "cli-lab")

    assert result.exit_code == 0, result.output
    assert "page-password-1" not in result.output  # hidden input is not echoed
    actor = accounts.authenticate_requester(runtime, "cli-lab", "page-password-1", Marketplace.PRODUCTION)
    assert actor.id == lab.actor.id


def test_set_password_from_stdin(run_with_input, runtime, factory):
    factory.requester("cli-lab")

    result = run_with_input("page-password-2\n", "requester", "set-password", "cli-lab", "--password-stdin")

    assert result.exit_code == 0, result.output
    assert accounts.authenticate_requester(runtime, "cli-lab", "page-password-2", Marketplace.PRODUCTION)


def test_set_password_asks_again_when_the_two_differ(run_with_input, runtime, factory):
    factory.requester("cli-lab")

    result = run_with_input("page-password-1\ntypo-password-1\npage-password-3\npage-password-3\n",
                            "requester", "set-password", "cli-lab")

    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert accounts.authenticate_requester(runtime, "cli-lab", "page-password-3", Marketplace.PRODUCTION)


def test_set_password_of_an_unknown_requester_fails_clearly(run_with_input):
    result = run_with_input("page-password-1\n", "requester", "set-password", "nobody", "--password-stdin")

    assert result.exit_code == 1
    assert "No requester is named 'nobody'" in result.stderr and "Traceback" not in result.output


def test_set_password_refuses_a_short_password_naming_it(run_with_input, runtime, factory):
    factory.requester("cli-lab")

    result = run_with_input("short\n", "requester", "set-password", "cli-lab", "--password-stdin")

    assert result.exit_code == 1 and result.stderr.startswith("Error: password: must be at least 8 characters")
    with pytest.raises(AuthenticationError):
        accounts.authenticate_requester(runtime, "cli-lab", "short", Marketplace.PRODUCTION)
