"""The lab's scheduler: reads the schedules at the endpoint and fires asynchronous invocations on time."""

from __future__ import annotations

from lab.scheduler.expressions import At, Cron, Expression, ExpressionError, Rate, parse_expression
from lab.scheduler.runner import Fired, Scheduler
from lab.scheduler.source import Schedule, ScheduleSourceError, function_name_from_arn, load_schedules

__all__ = [
    "At",
    "Cron",
    "Expression",
    "ExpressionError",
    "Fired",
    "Rate",
    "Schedule",
    "ScheduleSourceError",
    "Scheduler",
    "function_name_from_arn",
    "load_schedules",
    "parse_expression",
]
