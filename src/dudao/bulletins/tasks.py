"""Background tasks (django-tasks, database queue; run by `dudao worker`)."""

from django_tasks import task


@task()
def generate_bulletin(round_id: int) -> str:
    """Make the bulletin of a round just published."""
    from dudao.bulletins.services import bulletin_generate_queued

    return bulletin_generate_queued(round_id)
