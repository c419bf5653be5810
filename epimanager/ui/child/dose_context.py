"""What the dose dialog works from: the open child's context, the sites and routes, the evaluation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from epimanager.domain.schedule import ChildFacts, DoseEvaluation, Forecast
from epimanager.domain.schedule.facts import NO_FACTS
from epimanager.services import doses as doses_service
from epimanager.services.records import ChildRecord
from epimanager.services.ui_support import BatchProposal

SITES = ("左上臂", "右上臂", "左大腿", "右大腿", "口服", "臀部")
ROUTES = (("IM", "肌内注射"), ("SC", "皮下注射"), ("ID", "皮内注射"), ("PO", "口服"))


@dataclass(frozen=True)
class DoseContext:
    """What the dialog needs to know besides the form."""

    child: ChildRecord
    forecast: Forecast | None
    nurse: str
    own_unit: str
    today: date
    batches: Callable[[str, date], list[BatchProposal]]
    # the child's clinical facts (HBsAg, weight, immunoglobulin) the evaluation uses
    facts: ChildFacts = NO_FACTS


def evaluate_new(
    child: ChildRecord, code: str, day: date, exclude: str | None = None, facts: ChildFacts | None = None
) -> list[DoseEvaluation]:
    """How a dose of ``code`` on ``day`` would be evaluated with the child's other doses (the service's rule)."""
    return doses_service.evaluate_new(child.birth_date, child.sex, child.doses, code, day, exclude=exclude, facts=facts)
