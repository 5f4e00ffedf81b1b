"""Background tasks (django-tasks, database queue; run by `dudao worker`)."""

from django_tasks import task


@task()
def generate_bulletin(round_id: int) -> str:
    """Make the bulletin of a round just published."""
    from dudao.bulletins.services import bulletin_generate_queued

    return bulletin_generate_queued(round_id)


@task()
def check_template(trial_id: int) -> str:
    """Try an uploaded Word template on the latest published week (decision 0022)."""
    from dudao.bulletins.services import template_trial_run

    return template_trial_run(trial_id)
