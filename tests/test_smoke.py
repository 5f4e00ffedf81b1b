from dudao.org.models import Unit


def test_demo_has_all_jingtai_units(db):
    assert Unit.objects.exclude(level__in=["group", "grid"]).count() == 163
