"""The numbers on a project's home: tasks per state, geometries per class, work per day and per
labeler. Geometry counts are aggregated by the database from the labels documents and cached
per project revision, so a busy dashboard does not re-read documents after every save."""

import datetime

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from labeling.models import Task, TaskEvent, TaskLabels
from labeling.states import DONE_STATES, State
from rules import configuration as config

DAYS = 30
CACHE_SECONDS = 600

# Root and nested geometry counts by class, straight from the JSON documents.
CLASS_COUNT_SQL = {
    "postgresql": """
        SELECT g->>'class', NULL, count(*) FROM labeling_tasklabels l
          JOIN labeling_task t ON t.id = l.task_id, json_array_elements(l.document->'geometries') g
         WHERE t.project_id = %s GROUP BY 1
        UNION ALL
        SELECT g->>'class', n->>'class', count(*) FROM labeling_tasklabels l
          JOIN labeling_task t ON t.id = l.task_id, json_array_elements(l.document->'geometries') g,
               json_array_elements(coalesce(g->'nested', '[]'::json)) n
         WHERE t.project_id = %s GROUP BY 1, 2""",
    "sqlite": """
        SELECT json_extract(g.value, '$.class'), NULL, count(*) FROM labeling_tasklabels l
          JOIN labeling_task t ON t.id = l.task_id, json_each(l.document, '$.geometries') g
         WHERE t.project_id = %s GROUP BY 1
        UNION ALL
        SELECT json_extract(g.value, '$.class'), json_extract(n.value, '$.class'), count(*)
          FROM labeling_tasklabels l JOIN labeling_task t ON t.id = l.task_id,
               json_each(l.document, '$.geometries') g, json_each(g.value, '$.nested') n
         WHERE t.project_id = %s GROUP BY 1, 2""",
}


def geometry_counts(project):
    """{(root_class, nested_class or None): count} over the project's labels."""
    key = f"dashboard-classes:{project.pk}:{project.revision}"
    counts = cache.get(key)
    if counts is None:
        with connection.cursor() as cursor:
            cursor.execute(CLASS_COUNT_SQL[connection.vendor], [project.pk, project.pk])
            counts = {(root, nested): n for root, nested, n in cursor.fetchall()}
        cache.set(key, counts, CACHE_SECONDS)
    return counts


def class_rows(project):
    """One row per configured geometry class (nested ones under their root) with its count."""
    counts = geometry_counts(project)
    index = config.Index(project.label_configuration.data)
    rows = []
    for root in index.geometries.values():
        rows.append({"name": root.name, "color": root.data.get("color"), "count": counts.get((root.key, None), 0)})
        for nested in root.nested_geometries.values():
            count = counts.get((root.key, nested.key), 0)
            rows.append({"name": f"{root.name} › {nested.name}", "color": nested.data.get("color"), "count": count})
    return rows


def finished_per_day(project, days=DAYS):
    """[(date, tasks completed or skipped that day)] for the last `days` days, oldest first."""
    today = timezone.localdate()
    start = today - datetime.timedelta(days=days - 1)
    per_day = dict(
        TaskEvent.objects.filter(project=project, to_state__in=(State.COMPLETED, State.SKIPPED), at__date__gte=start)
        .annotate(day=TruncDate("at"))
        .values_list("day")
        .annotate(n=Count("id"))
    )
    return [
        (start + datetime.timedelta(days=i), per_day.get(start + datetime.timedelta(days=i), 0)) for i in range(days)
    ]


def labeler_rows(project):
    """Per labeler: tasks in progress, tasks finished, and geometries on their tasks."""
    return list(
        Task.objects.filter(project=project, labeler__isnull=False)
        .values("labeler__username")
        .annotate(
            in_progress=Count("id", filter=Q(state=State.IN_PROGRESS)),
            finished=Count("id", filter=Q(state__in=DONE_STATES)),
            geometries=Sum("labels__geometry_count", default=0),
        )
        .order_by("labeler__username")
    )


def bars(values, width=600, height=120):
    """Bar geometry for an inline SVG chart: [(x, y, w, h, value)] scaled to the largest value."""
    top = max(values, default=0) or 1
    step = width / max(len(values), 1)
    return [
        (round(i * step + 1, 1), round(height - v * height / top, 1), round(step - 2, 1), round(v * height / top, 1), v)
        for i, v in enumerate(values)
    ]


def has_labels(project):
    """True when any task of the project has a labels document: what makes an export worth starting."""
    return TaskLabels.objects.filter(task__project=project).exists()
