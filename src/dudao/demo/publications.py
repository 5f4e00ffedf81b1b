"""The demo's good practices and public documents, after the seed article (景泰县“四抓四促”, 景泰微党建).

The three practices are the article's own: 中泉镇's “2468”, 红水镇's “12345” and 喜泉镇's cleaners who double as
supervisors. Their write-ups restate what the article says and are flagged synthetic (the portal labels them a
synthetic example): the townships did not write them. The initiative letter (倡议书) is named by the article but its
text is not given: the demo's is invented and says so in its title and its file, as does the public notice. Each
goes through the apps' own services (practices: saved, submitted, published; notices: published with a small Word
file made here), so the audit log records them like real ones. Idempotent: a title already there is skipped.
"""

import datetime as dt
import io

from docx import Document

from dudao.accounts.access import SYSTEM
from dudao.notices import services as notice_services
from dudao.notices.models import Notice
from dudao.org.models import Level, Unit
from dudao.practices import services as practice_services
from dudao.practices.models import Practice

SYNTHETIC_NOTE = "（演示数据：正文为合成示例，并非原件。）"

PRACTICES = [
    ("中泉镇", "中泉镇“2468”工作要求：两个发动、四个修整、六个拆除、八个清理",
     "中泉镇在“四抓四促”城乡环境专项整治中明确了“2468”工作要求：两个发动、四个修整、六个拆除、八个清理。"
     "要求明确到每一项、每一处，全力保障环境整治工作落到实处。\n"
     "（据景泰微党建《“一盘棋”合力推进 落实落细“四抓四促”城乡环境专项整治》整理，演示用。）"),
    ("红水镇", "红水镇“12345”数字工作法",
     "红水镇制定了“12345”数字工作法：围绕1个中心、结合2项工作、凝聚3种力量、利用4个载体、落实5项措施，"
     "保证城乡环境专项整治行动有序开展。\n"
     "（据景泰微党建《“一盘棋”合力推进 落实落细“四抓四促”城乡环境专项整治》整理，演示用。）"),
    ("喜泉镇", "喜泉镇保洁员兼任监督员",
     "喜泉镇由各村保洁员兼任监督员，督促村民自觉清扫院落、维护村内卫生，形成了“支部牵头、党员带头、"
     "群众参与”的环境卫生整治局面。\n"
     "（据景泰微党建《“一盘棋”合力推进 落实落细“四抓四促”城乡环境专项整治》整理，演示用。）"),
]

LETTER_TITLE = "关于开展“四抓四促”城乡环境专项整治行动倡议书（演示）"
LETTER_TEXT = (
    SYNTHETIC_NOTE + "\n"
    "全县广大干部群众：\n"
    "为全面落实“四抓四促”城乡环境专项整治行动，营造全城共治氛围，我们倡议：从自身做起，清扫庭院、"
    "门前三包，不乱倒垃圾、不乱堆乱放；积极参与村组、社区环境卫生整治；发现环境问题，可通过“随手拍”反映。\n"
    "以“小家美”换取“大家美”，共建干净整洁的美丽景泰！\n"
    "景泰县“四抓四促”城乡环境专项整治行动领导小组办公室")
NOTICE_TITLE = "关于实行村社区“三色管理”周排名通报的公告（演示）"
NOTICE_TEXT = (
    SYNTHETIC_NOTE + "\n"
    "自即日起，全县所有村社区实行绿、红、黄“三色管理”：每周汇总乡镇排名、督查指导组排名和无人机拍摄排名，"
    "排名前30的纳入“绿色管理”，排名后30的纳入“红色管理”，中间纳入“黄色管理”，每周通报。")
# The article's dates: the county's plan in early March (the article is of 3 May).
LETTER_DATE = dt.date(2026, 3, 2)
NOTICE_DATE = dt.date(2026, 3, 6)


def word_file(title: str, text: str) -> bytes:
    """A small Word document: the title and the text's paragraphs."""
    document = Document()
    document.add_heading(title, level=1)
    for paragraph in text.split("\n"):
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def load_practices(campaign) -> None:
    towns = {u.name: u for u in Unit.objects.of_campaign(campaign).filter(level=Level.TOWN)}
    for town_name, title, text in PRACTICES:
        if Practice.objects.filter(campaign=campaign, title=title).exists():
            continue
        practice = practice_services.practice_save(actor=SYSTEM, campaign=campaign, town=towns[town_name],
                                                   title=title, text=text, synthetic=True)
        practice = practice_services.practice_submit(actor=SYSTEM, practice=practice)
        practice_services.practice_publish(actor=SYSTEM, practice=practice)


def load_notices(campaign) -> None:
    for title, date, text in ((LETTER_TITLE, LETTER_DATE, LETTER_TEXT), (NOTICE_TITLE, NOTICE_DATE, NOTICE_TEXT)):
        if Notice.objects.filter(campaign=campaign, title=title).exists():
            continue
        notice_services.notice_publish(actor=SYSTEM, campaign=campaign, title=title, date=date, text=text,
                                       data=word_file(title, text))


def load_publications(campaign) -> None:
    load_practices(campaign)
    load_notices(campaign)
