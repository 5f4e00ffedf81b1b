from django.apps import AppConfig


class BackupConfig(AppConfig):
    """`dudao backup` and `dudao restore`: the whole installation (database and media) in one checked archive.
    On top of every app: it reads and writes all of their tables."""

    name = "dudao.backup"
    label = "backup"
