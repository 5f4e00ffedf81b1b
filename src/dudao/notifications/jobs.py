"""The outbox's sweep (run by dudao.worker every few seconds): send what is due, with retries. The ``deliver`` task
queued with each event normally sends it first; the sweep is the guarantee when a task is lost."""

from dudao.notifications import outbox
from dudao.worker.jobs import Sweep

SWEEPS = [Sweep("outbox", outbox.deliver_all_due)]
