"""Evidence: every way of tampering with the audit table is detected, and the first bad entry is named.

Run: .venv/bin/python bench/audit_tamper.py   (after scripts/setup.sh --dev; loopback only, about two minutes)
On a copy of the demo (bench/evidence.py: SQLite, or DATABASE_URL's emptied scratch PostgreSQL) it alters the
table with plain UPDATE, DELETE and INSERT statements, as someone with the database's password would, bypassing
the application: a field of a row changed (each kind of field, the linked account too), rows deleted (the first
ones, one in the middle, the last ones), a forged row inserted (with a made-up hash, with a correctly recomputed
hash at the end, or in the middle with the later rows renumbered), two rows reordered (their sequence numbers or
their times swapped), the tail cut off, everything deleted. Each case runs in a transaction that is rolled back;
the verification is audit.services.audit_verify, what `dudao audit verify` runs (the command itself is run
in-process once per kind, its message read). It prints detected/total and "named" (the first bad entry is the
expected one)/total per kind; the target is 100 % detected and named.

Out of reach of any check inside the database: someone who rewrites every row from some point on, recomputes
every hash and rewrites the head as well (docs/operations.md: keep the backups and the published exports'
digests elsewhere).
"""

import datetime as dt
import io
import os
import random
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import evidence  # noqa: E402

CASES = 10  # per kind with random rows
SEED = 17


def main() -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        os.environ.pop(name, None)
    os.environ["LANG"] = "en_US.UTF-8"  # the command's messages in English: they are read below
    home = evidence.demo_home("tamper")
    evidence.use(home)
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db import transaction
    from django.db.models import F

    from dudao.accounts.models import User
    from dudao.audit import chain
    from dudao.audit.models import AuditEvent
    from dudao.audit.services import audit_verify

    count, bad = audit_verify()
    if bad is not None:
        sys.exit(f"the demo's audit log does not verify before tampering: {bad}")
    rows = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    first, last = rows[0], rows[-1]
    print(f"audit log: {count} entries (#{first}–#{last}), intact before tampering", flush=True)
    rng = random.Random(SEED)
    users = list(User.objects.values_list("pk", flat=True))

    def rows_at(*seqs: int):
        """Plain UPDATE/DELETE statements on these rows (the ORM's bulk operations: no application code)."""
        return AuditEvent.objects.filter(seq__in=seqs)

    def middle() -> int:
        return rng.choice(rows[1:-1])

    def renumber(from_seq: int, by: int) -> None:
        """Move every entry from ``from_seq`` on by ``by`` (through negative numbers: the column is unique)."""
        AuditEvent.objects.filter(seq__gte=from_seq).update(seq=-(F("seq") + by))
        AuditEvent.objects.filter(seq__lt=0).update(seq=-F("seq"))

    def forge(seq: int, prev_hash: str, recompute: bool) -> None:
        at = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
        fields = dict(seq=seq, at=at.isoformat(), actor="system:cli", action="unit.update", object_type="unit",
                      object_id="620423103200", before={"name": "大水䃎村"}, after={"name": "大水村"})
        digest = chain.entry_hash(prev_hash=prev_hash, **fields) if recompute else "f" * 64
        AuditEvent.objects.bulk_create([AuditEvent(
            seq=seq, at=at, actor_label=fields["actor"], action=fields["action"], object_type=fields["object_type"],
            object_id=fields["object_id"], before=fields["before"], after=fields["after"], prev_hash=prev_hash,
            hash=digest)])

    def hash_of(seq: int) -> str:
        return AuditEvent.objects.values_list("hash", flat=True).get(seq=seq)

    # Each case: (kind, what it does, the sequence number of the first bad entry verify must name).
    def update_field(field: str):
        def case() -> int:
            seq = middle()
            event = AuditEvent.objects.get(seq=seq)
            if field == "at":
                rows_at(seq).update(at=event.at + dt.timedelta(seconds=rng.randint(1, 3600)))
            elif field == "seq":  # renumbered to a number no entry has (after the last)
                rows_at(seq).update(seq=last + 1000)
                return seq + 1  # the entry after it now follows a missing one
            elif field == "actor (linked account)":
                rows_at(seq).update(actor_id=rng.choice([u for u in users if u != event.actor_id]))
            elif field in ("prev_hash", "hash"):
                rows_at(seq).update(**{field: f"{rng.getrandbits(256):064x}"})
            elif field == "before/after":
                rows_at(seq).update(**{rng.choice(["before", "after"]): {"tampered": rng.random()}})
            else:  # a text field: one character more
                rows_at(seq).update(**{field: getattr(event, field) + "x"})
            return seq
        return case

    def delete_first() -> int:
        n = rng.randint(1, 5)
        AuditEvent.objects.filter(seq__lt=first + n).delete()
        return first + n

    def delete_middle() -> int:
        seq = middle()
        rows_at(seq).delete()
        return seq + 1

    def delete_last() -> int:
        n = rng.randint(1, 5)
        AuditEvent.objects.filter(seq__gt=last - n).delete()
        return last - n + 1

    def insert_made_up_hash() -> int:
        forge(last + 1, hash_of(last), recompute=False)
        return last + 1

    def append_recomputed() -> int:
        forge(last + 1, hash_of(last), recompute=True)
        return last + 1

    def insert_middle_recomputed() -> int:
        seq = middle()
        renumber(seq + 1, 1)
        forge(seq + 1, hash_of(seq), recompute=True)
        return seq + 2  # the forged entry links correctly: the one after it no longer does

    def swap(column: str):
        def case() -> int:
            while True:
                a, b = sorted(rng.sample(rows, 2))
                values = dict(AuditEvent.objects.filter(seq__in=[a, b]).values_list("seq", column))
                if values[a] != values[b]:
                    break
            if column == "seq":
                rows_at(a).update(seq=-1)
                rows_at(b).update(seq=a)
                rows_at(-1).update(seq=b)
            else:
                rows_at(a).update(**{column: values[b]})
                rows_at(b).update(**{column: values[a]})
            return a
        return case

    def cut_tail() -> int:
        seq = middle()
        AuditEvent.objects.filter(seq__gte=seq).delete()
        return seq

    def cut_everything() -> int:
        AuditEvent.objects.all().delete()
        return 1

    kinds: list[tuple[str, object, int]] = [
        *[(f"update {field}", update_field(field), CASES) for field in (
            "at", "actor_label", "actor (linked account)", "action", "object_type", "object_id", "before/after",
            "prev_hash", "hash", "seq")],
        ("delete the first rows", delete_first, CASES),
        ("delete a middle row", delete_middle, CASES),
        ("delete the last rows", delete_last, CASES),
        ("insert, made-up hash", insert_made_up_hash, 3),
        ("append, recomputed hash", append_recomputed, 3),
        ("insert in the middle, recomputed", insert_middle_recomputed, CASES),
        ("swap two rows' seq", swap("seq"), CASES),
        ("swap two rows' times", swap("at"), CASES),
        ("cut the tail", cut_tail, CASES),
        ("cut everything", cut_everything, 1),
    ]
    figures: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    command_checked: dict[str, bool] = {}
    wrong: list[str] = []

    class Undo(Exception):
        pass

    for kind, case, n in kinds:
        for _ in range(n):
            try:
                with transaction.atomic():
                    expected = case()  # type: ignore[operator]
                    _count, found = audit_verify()
                    figures[kind][0] += 1
                    figures[kind][1] += found is not None
                    figures[kind][2] += found is not None and found.seq == expected
                    if found is None or found.seq != expected:
                        wrong.append(f"{kind}: expected #{expected}, verify said {found}")
                    if kind not in command_checked:
                        try:
                            call_command("audit", "verify", stdout=io.StringIO())
                            command_checked[kind] = False
                        except CommandError as error:
                            command_checked[kind] = f"entry #{expected}" in str(error)
                            if not command_checked[kind]:
                                wrong.append(f"{kind}: expected #{expected}, the command said {error}")
                    raise Undo
            except Undo:
                pass
    _count, bad = audit_verify()
    assert bad is None, "a case was not rolled back"

    print(f"\n{'kind':<36} {'detected':>9} {'named':>7} {'command':>8}")
    total = detected = named = 0
    for kind, values in figures.items():
        cases, found, right = values
        total, detected, named = total + cases, detected + found, named + right
        print(f"{kind:<36} {found:>4}/{cases:<4} {right:>3}/{cases:<3} {'ok' if command_checked[kind] else 'WRONG':>8}")
    print(f"{'all':<36} {detected:>4}/{total:<4} {named:>3}/{total:<3}")
    for line in wrong[:20]:
        print("  ", line)
    evidence.verdict(detected == named == total >= 100 and all(command_checked.values()),
                     "every tampering detected (≥ 100 cases), the first bad entry named, by `dudao audit verify` too")


if __name__ == "__main__":
    main()
