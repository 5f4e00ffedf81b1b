"""The demo's exposure board and positive column (synthetic, like the rest of the demo): one exposure item composed
from a problem of 大水䃎村 with its before and after photos, a region blurred on the first, published by a second
office user, with the village's reply published beside it (the problem is not marked public: Open311 would show
the public copy as its media_url once the office marks it); one positive item about the village that climbed most
between the two latest published weeks. Idempotent."""

from dudao.accounts.models import User
from dudao.exposure import services
from dudao.exposure.models import Item, Kind
from dudao.problems.models import Problem, ProblemPhoto
from dudao.ranking import selectors as ranking_selectors
from dudao.ranking.models import Result, RoundStatus

DASHUI = "620423103200"  # 大水䃎村: demo_village
BLURRED = [[0.04, 0.22, 0.26, 0.24]]  # a house front of the synthetic scene, as if a face or a plate were there


def load_exposure(campaign) -> None:
    if Item.objects.filter(campaign=campaign, synthetic=True).exists():
        return
    users = {u.username: u for u in User.objects.filter(username__in=["demo_office", "demo_admin", "demo_village"])}
    office, reviewer, village_user = users["demo_office"], users["demo_admin"], users["demo_village"]
    with_after = ProblemPhoto.objects.filter(kind="after").values("problem_id")
    problem = (Problem.objects.filter(campaign=campaign, village__code=DASHUI, pk__in=with_after)
               .order_by("pk").first())
    if problem is not None:
        item = services.item_compose(
            actor=office, campaign=campaign, kind=Kind.EXPOSURE, problem=problem, synthetic=True,
            title="公厕卫生差、有异味（示例）",
            body="督查发现村内公厕卫生差、有异味，群众反映强烈。村里当天组织清洗消毒，整改前后对比如图。\n（演示数据，纯属虚构）",
            reason="群众身边的环境问题，整改情况向社会公开，接受监督。")
        for n, image in enumerate(item.images.all()):
            services.item_regions_save(actor=office, image=image, regions=BLURRED if n == 0 else [])
        item = services.item_submit(actor=office, item=item)
        item = services.item_publish(actor=reviewer, item=item)
        reply = services.reply_submit(actor=village_user, item=item,
                                      text="感谢监督。我村已落实专人每日保洁，公厕每周消毒两次，欢迎群众继续监督。")
        services.reply_publish(actor=office, reply=reply)
    rounds = list(ranking_selectors.rounds_newest_first(campaign, [RoundStatus.PUBLISHED])[:2])
    if len(rounds) < 2:
        return
    later, earlier = rounds
    before = {unit: position or 0 for unit, position in
              Result.objects.filter(round=earlier, position__isnull=False).values_list("unit_id", "position")}
    later_results = [r for r in Result.objects.filter(round=later, position__isnull=False).select_related("unit")
                     if r.unit_id in before and r.position is not None]
    best = max(later_results, key=lambda r: (before[r.unit_id] - (r.position or 0), -r.unit_id), default=None)
    if best is None:
        return
    item = services.item_compose(
        actor=office, campaign=campaign, kind=Kind.POSITIVE, village=best.unit, climb=(earlier.week, later.week),
        synthetic=True, title=f"{best.unit.name}排名大幅提升（示例）",
        body="该村发动群众开展房前屋后清理，建立门前三包责任制，本周排名显著上升。\n（演示数据，纯属虚构）",
        reason="进步明显，经验值得推广。")
    item = services.item_submit(actor=office, item=item)
    services.item_publish(actor=reviewer, item=item)
