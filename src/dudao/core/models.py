"""The core's one table: the data's generation, which moves on every committed write (dudao.core.kept)."""

from django.db import models


class Generation(models.Model):
    """One row (pk 1). Its value moves forward after every transaction that wrote to a table a kept page may show;
    a page kept under an older value is never served again."""

    value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "core_generation"

    def __str__(self) -> str:
        return str(self.value)
