"""Changing a project's label configuration, and what that does to the labels already made.

Labels of classes, questions or options that a new configuration removes (or whose kind it
changes) are deleted only with an explicit confirmation; ``plan_change()`` says beforehand how
many. Completed or reviewed tasks that a new required question leaves unanswered go back to the
queue (``waiting``, labeler kept), as DataGym's WAITING_CHANGED did.

Label saves and imports check their labels against the configuration they will be stored under:
``configuration_for_write()`` holds the configuration row (FOR SHARE) until their transaction ends,
and a change takes that row first (FOR UPDATE), so a change waits for writes in flight and a write
that started before a change sees the changed configuration.
"""

from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F

from labeling.lifecycle import move_all
from labeling.models import Task, TaskLabels
from labeling.states import State
from projects.models import LabelConfiguration
from rules import configuration as config
from rules import labels as labels_document

REQUEUED_STATES = (State.COMPLETED, State.REVIEWED)
BATCH_SIZE = 500


@dataclass
class ChangePlan:
    """What saving a configuration would do to existing labels and tasks."""

    configuration: dict
    removed_labels: int = 0
    changed_tasks: dict = field(default_factory=dict)  # task id -> pruned document
    requeued_tasks: list = field(default_factory=list)

    @property
    def needs_confirmation(self):
        return self.removed_labels > 0

    def summary(self):
        parts = []
        if self.removed_labels:
            parts.append(
                f"{self.removed_labels} label(s) on {len(self.changed_tasks)} task(s) belong to classes, "
                "questions or options this configuration removes or changes, and will be deleted."
            )
        if self.requeued_tasks:
            parts.append(
                f"{len(self.requeued_tasks)} completed or reviewed task(s) miss a new required answer "
                "and will go back to the queue."
            )
        return " ".join(parts) or "No existing labels are affected."


class ConfirmationNeeded(Exception):
    """Saving would delete labels; the caller must confirm with the plan's summary in view."""

    def __init__(self, plan):
        self.plan = plan
        super().__init__(plan.summary())


def plan_change(project, data, lock=False):
    """Validate `data` and work out its effect on `project`'s labels; writes nothing.

    With `lock`, the task and label rows read stay locked until the caller's transaction ends,
    so no label saved meanwhile can be overwritten by the pruned documents.
    """
    new = config.parse(data)
    current = LabelConfiguration.objects.filter(project=project).values_list("data", flat=True).first()
    old_index = config.Index(current or {"entries": []})
    new_index = config.Index(new)
    plan = ChangePlan(configuration=new)
    documents = TaskLabels.objects.filter(task__project=project).order_by("task_id")
    if lock:
        documents = documents.select_for_update()
    documents = documents.values_list("task_id", "document", "task__state")
    labeled = set()
    for task_id, document, state in documents.iterator(chunk_size=BATCH_SIZE):
        labeled.add(task_id)
        pruned, removed = prune(document, old_index, new_index)
        if removed:
            plan.removed_labels += removed
            plan.changed_tasks[task_id] = pruned
        if state in REQUEUED_STATES and labels_document.missing_required(pruned, new_index):
            plan.requeued_tasks.append(task_id)
    if labels_document.missing_required(labels_document.empty(), new_index):
        unlabeled = Task.objects.filter(project=project, state__in=REQUEUED_STATES).exclude(pk__in=labeled)
        plan.requeued_tasks.extend(unlabeled.values_list("pk", flat=True))
    return plan


def save_configuration(project, data, confirm=False):
    """Make `data` the project's configuration, applying its effect on existing labels.

    Raises config.ConfigurationError (every broken rule) or ConfirmationNeeded (labels would be
    deleted and `confirm` is false); either way nothing changes.
    """
    with transaction.atomic():
        # The configuration row, then task and label rows, then the project row: the order label
        # saves and imports take them in (configuration_for_write()), so none waits on another in a cycle.
        configuration = LabelConfiguration.objects.select_for_update().filter(project=project).first()
        plan = plan_change(project, data, lock=True)
        if plan.needs_confirmation and not confirm:
            raise ConfirmationNeeded(plan)
        if configuration is None:
            configuration = LabelConfiguration.objects.create(project=project)
        configuration.data = plan.configuration
        configuration.revision = F("revision") + 1
        configuration.save(update_fields=["data", "revision", "updated_at"])
        _apply_pruning(plan.changed_tasks)
        requeued = Task.objects.filter(pk__in=plan.requeued_tasks)
        for state in REQUEUED_STATES:
            move_all(requeued, state, State.WAITING)
        project.bump_revision()
    configuration.refresh_from_db(fields=["revision"])
    configuration.change_summary = plan.summary()
    return configuration


def configuration_for_write(project):
    """The project's LabelConfiguration, unchanged until the caller's transaction ends.

    Call it inside the write's transaction, before locking task rows. On PostgreSQL the row is
    locked FOR SHARE: writes in parallel do not wait for one another, a configuration change waits
    for them (and they for it). SQLite runs one write transaction at a time (IMMEDIATE mode in
    labelyard/settings.py), so a plain read is already stable there.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {LabelConfiguration._meta.db_table} WHERE project_id = %s FOR SHARE",  # noqa: S608
                [project.pk],
            )
    return LabelConfiguration.objects.get(project=project)


def _apply_pruning(changed_tasks):
    ids = list(changed_tasks)
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        rows = list(TaskLabels.objects.filter(task_id__in=chunk))
        for row in rows:
            row.document = changed_tasks[row.task_id]
            row.geometry_count, row.imported_count = labels_document.summarize(row.document)
        TaskLabels.objects.bulk_update(rows, ["document", "geometry_count", "imported_count"])
        Task.objects.filter(pk__in=chunk).update(version=F("version") + 1)


def prune(document, old_index, new_index):
    """Return (document, removed): labels whose class, question or option survives unchanged."""
    removed = 0
    geometries = []
    for geometry in document.get("geometries", []):
        old = old_index.geometries.get(geometry.get("class"))
        new = new_index.geometries.get(geometry.get("class"))
        if not _same_kind(old, new):
            removed += 1 + len(geometry.get("nested", []))
            continue
        kept = dict(geometry)
        kept["classifications"], lost = _prune_answers(geometry.get("classifications", {}), old, new)
        removed += lost
        nested = []
        for child in geometry.get("nested", []):
            old_child = old.nested_geometries.get(child.get("class"))
            new_child = new.nested_geometries.get(child.get("class"))
            if not _same_kind(old_child, new_child):
                removed += 1
                continue
            child = dict(child)
            child["classifications"], lost = _prune_answers(child.get("classifications", {}), old_child, new_child)
            removed += lost
            nested.append(child)
        if "nested" in geometry:
            kept["nested"] = nested
        geometries.append(kept)
    old_root = config.Entry("", "", "", {}, questions=old_index.questions)
    new_root = config.Entry("", "", "", {}, questions=new_index.questions)
    answers, lost = _prune_answers(document.get("classifications", {}), old_root, new_root)
    return {"geometries": geometries, "classifications": answers}, removed + lost


def _same_kind(old, new):
    return old is not None and new is not None and old.kind == new.kind


def _prune_answers(answers, old_parent, new_parent):
    kept, removed = {}, 0
    for key, answer in answers.items():
        old = old_parent.questions.get(key)
        new = new_parent.questions.get(key)
        if not _same_kind(old, new):
            removed += 1
            continue
        values = answer.get("values", [])
        if new.kind != "freetext":
            allowed = set(new.option_keys)
            surviving = [v for v in values if v in allowed]
            removed += len(values) - len(surviving)
            values = surviving
        children, lost = _prune_answers(answer.get("children", {}), old, new)
        removed += lost
        kept[key] = {"values": values, **({"children": children} if children else {})}
    return kept, removed
