"""Translated text for the problem codes that pure modules report."""

from collections.abc import Iterable

from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from dudao.core.tables import Problem

MESSAGES = {
    "empty": gettext_lazy("The file is empty."),
    "no_rows": gettext_lazy("The file has a header but no data rows."),
    "encoding": gettext_lazy("The file is neither UTF-8 nor GB18030 text; save it again as CSV UTF-8 or as XLSX."),
    "not_a_sheet": gettext_lazy("The file is not a CSV or XLSX sheet (old .xls files must be saved as .xlsx)."),
    "bad_csv": gettext_lazy("The CSV file cannot be read: %(detail)s."),
    "duplicate_column": gettext_lazy("The column %(column)s appears more than once."),
    "missing_column": gettext_lazy("The required column %(column)s is missing."),
    "bad_code": gettext_lazy("%(column)s “%(value)s” is not a code of 12 digits."),
    "duplicate_code": gettext_lazy("The code %(code)s appears again (first in row %(first)s)."),
    "required": gettext_lazy("%(column)s is empty."),
    "too_long": gettext_lazy("%(column)s is longer than %(max)s characters."),
    "bad_level": gettext_lazy(
        "The level “%(value)s” is unknown; use county, town, village, community, group or grid "
        "(县/乡镇/村/社区/组/网格)."
    ),
    "point_incomplete": gettext_lazy("Only one of the %(datum)s longitude and latitude is given."),
    "point_not_number": gettext_lazy("The coordinate “%(value)s” is not a number."),
    "point_out_of_range": gettext_lazy("The point %(lon)s, %(lat)s is not a valid longitude and latitude."),
    "two_datums": gettext_lazy("The row has both a GCJ-02 and a WGS-84 point; give one."),
    "bad_flag": gettext_lazy("%(column)s “%(value)s” must be yes or no (是/否)."),
    "unknown_parent": gettext_lazy("The parent code %(code)s is neither in the file nor among the stored units."),
    "bad_parent_level": gettext_lazy(
        "A unit of level %(level)s cannot belong to %(parent)s, which is of level %(parent_level)s."
    ),
    "level_breaks_child": gettext_lazy(
        "The level cannot change to %(level)s: the stored unit %(child)s below it would no longer fit."
    ),
    "cycle": gettext_lazy("The parent codes form a cycle: %(code)s."),
    "bad_phone": gettext_lazy("The phone number “%(value)s” is not an 11-digit mobile number."),
    "phone_conflict": gettext_lazy("The phone number %(phone)s is given for two names (“%(a)s” and “%(b)s”)."),
    "unknown_unit": gettext_lazy("The unit %(code)s does not exist or is outside your area."),
    "bad_role": gettext_lazy("The post “%(value)s” is unknown; see the list of posts in the template."),
    "bad_date": gettext_lazy("%(column)s “%(value)s” is not a date (YYYY-MM-DD)."),
    "dates_reversed": gettext_lazy("The end date is before the start date."),
    "role_needs_unit": gettext_lazy("A post needs both a unit code and a post."),
    "duplicate_post": gettext_lazy("The same post appears again (first in row %(first)s)."),
    "post_overlap": gettext_lazy("%(name)s already holds this post at %(unit)s for part of that time."),
    "bad_phone_scope": gettext_lazy(
        "The person with phone %(phone)s is managed outside your area; ask the campaign office to change them."
    ),
    "geojson_invalid": gettext_lazy("The file is not a GeoJSON FeatureCollection."),
    "geometry_invalid": gettext_lazy(
        "The boundary of %(code)s is not a valid Polygon or MultiPolygon (closed rings of longitude, latitude)."
    ),
    "not_polygon": gettext_lazy("The boundary of %(code)s is a %(kind)s, not a Polygon or MultiPolygon."),
    "geometry_crosses": gettext_lazy("The boundary of %(code)s crosses itself."),
    "geometry_crosses_at": gettext_lazy("The boundary of %(code)s crosses itself near %(lon)s, %(lat)s."),
    "outside_county": gettext_lazy("The boundary of %(code)s lies outside the county."),
    "duplicate_feature": gettext_lazy("The code %(code)s appears again (first in feature %(first)s)."),
    "rank_or_score": gettext_lazy("The file needs exactly one of the columns rank (排名) or score (得分)."),
    "unknown_code": gettext_lazy("The code %(code)s is not a unit of this campaign or outside your area."),
    "not_ranked_unit": gettext_lazy("The unit %(code)s is not a village or community."),
    "inactive_unit": gettext_lazy("The unit %(code)s is inactive."),
    "bad_rank": gettext_lazy("The rank “%(value)s” is not a whole number of 1 or more."),
    "bad_score": gettext_lazy("The score “%(value)s” is not a finite number."),
    "town_incomplete": gettext_lazy(
        "Township %(town)s must rank every one of its villages and communities; %(count)s missing: %(codes)s."
    ),
    "published_week": gettext_lazy("Week %(week)s is published or awaiting approval; nothing can be submitted."),
    "control_character": gettext_lazy("%(column)s contains a control character."),
    "formula_start": gettext_lazy("%(column)s must not begin with =, +, - or @ (Excel would read it as a formula)."),
    "county_parent_inside": gettext_lazy(
        "A county's parent lies outside the campaign; %(code)s is a unit of this campaign."
    ),
    "post_required": gettext_lazy("Each row needs the person's post in your area (unit code, post, start date)."),
    "too_large": gettext_lazy("The file is larger than %(max)s MB."),
    "unpacks_too_large": gettext_lazy("The XLSX file unpacks to more than %(max)s MB; save the data as a smaller "
                                      "sheet or as CSV."),
    "too_many_rows": gettext_lazy(
        "The sheet has more than %(max)s rows below its header; split it into files of at most %(max)s rows."
    ),
    "drone_photos": gettext_lazy(
        "Week %(week)s's drone ranking comes from the drone photos scored in Dudao; it is not uploaded by hand."
    ),
    "field_inspections": gettext_lazy(
        "Week %(week)s's inspection ranking comes from the field inspections; it is not uploaded by hand."
    ),
}


COLUMN_LABELS = {
    "code": gettext_lazy("code"),
    "name": gettext_lazy("name"),
    "level": gettext_lazy("level"),
    "parent_code": gettext_lazy("parent code"),
    "official_name": gettext_lazy("official name"),
    "active": gettext_lazy("active"),
    "point_synthetic": gettext_lazy("synthetic point"),
    "phone": gettext_lazy("phone"),
    "unit_code": gettext_lazy("unit code"),
    "title": gettext_lazy("title"),
    "role": gettext_lazy("post"),
    "name_person": pgettext_lazy("person", "name"),
    "start_date": gettext_lazy("start date"),
    "end_date": gettext_lazy("end date"),
}


# Parameters whose values are codes of an app's choices (a unit's level), shown by their labels. The app that owns
# the choices registers them when it is ready, so that core names no app.
VALUE_LABELS: dict[str, type[TextChoices]] = {}


def register_value_labels(keys: Iterable[str], choices: type[TextChoices]) -> None:
    for key in keys:
        VALUE_LABELS[key] = choices


def describe(problem: Problem) -> str:
    text = str(MESSAGES[problem.code])
    params = dict(problem.params)
    if "column" in params and params["column"] in COLUMN_LABELS:
        params["column"] = str(COLUMN_LABELS[params["column"]])
    for key, choices in VALUE_LABELS.items():
        if key in params and params[key] in choices.values:
            params[key] = str(choices(params[key]).label)
    try:
        text = text % params if params else text
    except (KeyError, TypeError, ValueError):
        pass
    return text


def describe_with_row(problem: Problem) -> str:
    if problem.row and problem.where == "feature":
        return _("Feature %(row)s: %(message)s") % {"row": problem.row, "message": describe(problem)}
    if problem.row:
        return _("Row %(row)s: %(message)s") % {"row": problem.row, "message": describe(problem)}
    return describe(problem)
