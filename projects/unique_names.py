"""Project and dataset names are unique per owner (the user who created them), not site-wide.

Site-wide names told anyone which names other teams use ("already taken"); per owner, a name can
only clash with the owner's own. The database enforces the pair (projects/models.py constraints);
these checks run first so pages, API and commands answer with a sentence instead of an
IntegrityError. Rows without an owner (made by a command without --owner, or left when the owner's
account was deleted) are checked here among themselves; the database does not compare them.
"""

from projects.models import Dataset, Project

KINDS = {Project: "project", Dataset: "dataset"}


def taken(model, name, owner, exclude=None):
    """True when `owner` (a user or None) already has a `model` row named `name`, other than `exclude`."""
    rows = model.objects.filter(name=name, created_by=owner)
    if exclude is not None and exclude.pk is not None:
        rows = rows.exclude(pk=exclude.pk)
    return rows.exists()


def taken_message(model, name, owner, acting=None):
    """The sentence for a taken name; `acting` is the user asking, addressed as "you" when the owner."""
    kind = KINDS[model]
    rule = f"{kind} names are unique per owner"
    if owner is None:
        return f"A {kind} without an owner is already named `{name}` ({rule})."
    if acting is not None and acting.pk == owner.pk:
        return f"You already have a {kind} named `{name}` ({rule})."
    return f"{owner.get_username()} already has a {kind} named `{name}` ({rule})."


def check(model, name, owner, acting=None, exclude=None):
    """The taken-name sentence, or None when `owner` may use `name`."""
    return taken_message(model, name, owner, acting) if taken(model, name, owner, exclude) else None


def free_name(model, base, owner):
    """`base`, or `base (2)`, `base (3)` ...: the first name `owner` has no `model` row of."""
    length = model._meta.get_field("name").max_length
    name, n = base[:length], 1
    while taken(model, name, owner):
        n += 1
        suffix = f" ({n})"
        name = f"{base[: length - len(suffix)]}{suffix}"
    return name
