"""Every model change has its migration: a model edited without one would reach a county's database only half."""

import io

from django.core.management import call_command


def test_the_models_and_the_migrations_agree(db):  # the command reads the applied migrations
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # exits 1 (SystemExit) on a missing one
    assert out.getvalue() == "No changes detected\n"
