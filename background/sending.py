"""How a job reaches a worker: its Celery task, found by the name its model gives.

Models name their task instead of importing it because the task module imports the model's
package (exports.jobs imports exports.build, which imports exports.models).
"""

from celery import current_app


def task(name):
    """The registered Celery task called `name`."""
    if name not in current_app.tasks:
        # A worker imports every app's jobs.py when it starts (labelyard/celery.py autodiscovers
        # them); a web process or a command may not have imported this one yet.
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def send(name, *args):
    """Queue task `name` with `args` once the current transaction commits (at once outside one)."""
    task(name).apply_async_on_commit(args)
