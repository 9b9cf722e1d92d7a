"""DataGym public API v1 (docs/datagym-v1.md): what each endpoint does, as plain functions.

The views in datagym_v1/views.py parse requests and call these; every failure is a
V1Error carrying DataGym's ErrorTO fields, since the unmodified ``datagym`` client reads nothing
else. A token acts for its user and sees the projects where that user is admin (docs/datagym-v1.md section 3);
Labelyard has no organisations, so ``owner`` is the caller's user name everywhere.
"""

import io
import re
import tempfile
import urllib.parse
import uuid

import msgspec
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.utils import timezone
from PIL import Image

from formats import datagym, jsonio
from labeling import importing, url_imports
from labeling.attaching import attach_dataset, create_tasks_for_dataset, detach_dataset
from labeling.configuring import save_configuration
from labeling.models import Task
from labeling.states import DONE_STATES, State
from projects import access, datasets
from projects import media as media_module
from projects.fetching import FetchFailed
from projects.media import ImageRejected, add_image, clean_name
from projects.models import Dataset, LabelConfiguration, Media, Project
from raster import masks
from rules import configuration as config

Role = access.Role
DATASET_NAME = re.compile(r"^[a-zA-Z0-9_ ]{1,128}$")
DATASET_DESCRIPTION = re.compile(r"^[a-zA-Z0-9_ -]{0,128}$")
URL_EXTENSIONS = ("jpg", "jpeg", "png")
CHUNK = 1 << 20


class V1Error(Exception):
    """A non-2xx answer of the v1 API, with the ErrorTO fields (docs/datagym-v1.md section 4.1)."""

    def __init__(self, status, key, params=(), msg=None, details=()):
        self.status = status
        self.key = key
        self.params = [str(p) for p in params]
        self.msg = msg
        self.details = list(details)
        super().__init__(msg or key)


def not_found(what, criteria, value):
    return V1Error(404, "ex_notfound", [what, criteria, value], f"{what} with {criteria} {value} not found")


def validation(details, msg="Validation error.", status=400):
    return V1Error(status, "ex_validation", [], msg, details)


def detail(name, key, params=()):
    return {"name": name, "key": key, "params": [str(p) for p in params]}


def millis(moment):
    return int(moment.timestamp() * 1000)


# Visibility ---------------------------------------------------------------------------------


def project_for(user, project_id):
    """An admin project of `user`; 404 for strangers and unknown ids, 403 for lesser roles."""
    try:
        return access.get_project(user, project_id, roles={Role.ADMIN})
    except Http404 as error:
        raise not_found("Project", "id", project_id) from error
    except PermissionDenied as error:
        raise V1Error(403, "ex_forbidden", [], str(error)) from error


def dataset_for(user, dataset_id):
    dataset = access.manageable_datasets(user).filter(pk=dataset_id).first() if str(dataset_id).isdigit() else None
    if dataset is None:
        raise not_found("Dataset", "id", dataset_id)
    return dataset


def media_for(user, media_id):
    try:
        media = Media.objects.select_related("dataset").filter(pk=uuid.UUID(str(media_id))).first()
    except ValueError as error:
        raise not_found("Media", "id", media_id) from error
    if media is None or not access.manageable_datasets(user).filter(pk=media.dataset_id).exists():
        raise not_found("Media", "id", media_id)
    return media


# Representations (docs/datagym-v1.md section 5) --------------------------------------------------------


def _source_type(media):
    # DataGym's own names: images in a bucket were its AWS_S3 media.
    if media.source_id is not None:
        return "AWS_S3"
    return "SHAREABLE_LINK" if media.source_url else "LOCAL"


def media_json(media):
    return {
        "id": str(media.pk),
        "timestamp": millis(media.created_at),
        "mediaSourceType": _source_type(media),
        "mediaName": media.original_name,
    }


def dataset_json(dataset, owner, media=None):
    result = {
        "id": str(dataset.pk),
        "name": dataset.name,
        "shortDescription": dataset.short_description or None,
        "timestamp": millis(dataset.created_at),
        "owner": owner,
        "mediaType": "IMAGE",
        "mediaCount": getattr(dataset, "media_count", None),
        "projectCount": getattr(dataset, "project_count", None),
    }
    if media is not None:
        result["media"] = [media_json(m) for m in media]
    return result


def project_json(project, owner):
    configuration = getattr(project, "label_configuration", None)
    return {
        "id": str(project.pk),
        "name": project.name,
        "shortDescription": project.short_description or None,
        "description": project.description or None,
        "timestamp": millis(project.created_at),
        "labelConfigurationId": str(configuration.pk) if configuration else None,
        # Labelyard has no label iterations; the project id stands in, as the client only stores it.
        "labelIterationId": str(project.pk),
        "owner": owner,
        "mediaType": "IMAGE",
        "datasets": [
            dataset_json(d, owner)
            for d in project.datasets.annotate(
                media_count=Count("media", distinct=True), project_count=Count("projects", distinct=True)
            )
        ],
    }


# Projects and datasets ---------------------------------------------------------------------


def list_projects(user):
    projects = access.admin_projects(user).select_related("label_configuration").order_by("name")
    return [project_json(p, user.username) for p in projects]


def _with_counts(datasets):
    return datasets.annotate(media_count=Count("media", distinct=True), project_count=Count("projects", distinct=True))


def list_datasets(user):
    datasets = _with_counts(access.manageable_datasets(user)).order_by("name").prefetch_related("media")
    return [dataset_json(d, user.username, d.media.all()) for d in datasets]


def get_dataset(user, dataset_id):
    dataset = dataset_for(user, dataset_id)
    dataset = _with_counts(Dataset.objects.filter(pk=dataset.pk)).get()
    return dataset_json(dataset, user.username, dataset.media.all())


def create_dataset(user, body):
    """POST api/v1/dataset (section 5.2): DataGym's name rules; a name the caller already has is 412."""
    if not isinstance(body, dict):
        raise validation([detail("body", "ex_val_invalid", ["body", "a JSON object"])])
    name = body.get("name")
    description = body.get("shortDescription")
    details = []
    if not isinstance(name, str) or not DATASET_NAME.match(name):
        details.append(detail("Name", "ex_pattern", ["Name", name, DATASET_NAME.pattern]))
    if description is not None and (not isinstance(description, str) or not DATASET_DESCRIPTION.match(description)):
        details.append(
            detail("Short description", "ex_pattern", ["Short description", description, DATASET_DESCRIPTION.pattern])
        )
    if details:
        raise validation(details)
    # Names are unique per owner (projects/unique_names.py): only the caller's own datasets clash.
    try:
        dataset = datasets.create_dataset(name, user, description or "")
    except datasets.DatasetRejected as error:
        raise V1Error(412, "ex_alreadyexists", ["Dataset", "name", name], f"Dataset {name} already exists") from error
    dataset.media_count = dataset.project_count = 0
    return dataset_json(dataset, user.username, [])


def connect(user, project_id, dataset_id):
    """POST api/v1/project/{p}/dataset/{d}: attach and create a task per image (docs/datagym-v1.md section 5.3)."""
    project = project_for(user, project_id)
    dataset = dataset_for(user, dataset_id)
    if project.datasets.filter(pk=dataset.pk).exists():
        raise V1Error(412, "ex_already_contains", [project.name, dataset.name], "The dataset is already connected.")
    attach_dataset(project, dataset)


def disconnect(user, project_id, dataset_id):
    project = project_for(user, project_id)
    dataset = dataset_for(user, dataset_id)
    if not project.datasets.filter(pk=dataset.pk).exists():
        raise V1Error(500, "ex_gen_does_not_contain", [project.name, dataset.name], "The dataset is not connected.")
    detach_dataset(project, dataset)


# Media ---------------------------------------------------------------------------------------


def upload_file(user, dataset_id, name, stream, length):
    """POST api/v1/media/{d}/file: the raw body is the image (docs/datagym-v1.md section 5.4); returns the media JSON.

    The body is copied in chunks to a temporary file, so its size is bounded by
    LABELYARD_MAX_UPLOAD_BYTES and never by DATA_UPLOAD_MAX_MEMORY_SIZE.
    """
    dataset = dataset_for(user, dataset_id)
    if not name:
        raise validation([detail("Header: X-filename", "ex_val_empty", ["Header: X-filename"])])
    try:
        name = clean_name(urllib.parse.unquote(name))
    except ImageRejected as error:
        raise validation(
            [detail("Header: X-filename", "ex_val_invalid", ["Header: X-filename", name])], str(error)
        ) from error
    if Media.objects.filter(dataset=dataset, original_name=name).exists():
        raise V1Error(412, "ex_alreadyexists", ["Media", "name", name], f"{name} is already in {dataset.name}")
    with read_to_tempfile(stream, length) as handle:
        try:
            with transaction.atomic():
                media = add_image(dataset, handle, name)
                create_tasks_for_dataset(dataset)
        except ImageRejected as error:
            raise validation([detail("data", "ex_val_bin_mime", ["data", str(error)])], str(error)) from error
    return {
        **media_json(media),
        "valid": True,
        "reason": None,
        "url": None,
        "width": media.width,
        "height": media.height,
    }


def read_to_tempfile(stream, length, limit=None):
    """Copy at most `limit` bytes (default LABELYARD_MAX_UPLOAD_BYTES) of `stream` to a temporary
    file; 413 beyond that."""
    limit = settings.LABELYARD_MAX_UPLOAD_BYTES if limit is None else limit
    if length is not None and length > limit:
        raise too_large(length, limit)
    handle = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK)  # noqa: SIM115 - returned; the caller closes it
    size = 0
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        size += len(chunk)
        if size > limit:
            handle.close()
            raise too_large(size, limit)
        handle.write(chunk)
    handle.seek(0)
    return handle


def too_large(size, limit):
    return V1Error(413, "ex_size", ["data", size, limit], f"The body is larger than {limit} bytes.")


def url_status(url, status, media_id=None):
    return {
        "internal_media_ID": str(media_id) if media_id else None,
        "external_media_ID": url_imports.file_name(url) if media_id else None,
        "imageUrl": url,
        "mediaUploadStatus": status,
    }


def add_urls(user, dataset_id, urls):
    """POST api/v1/media/{d}/url: one status per distinct URL (docs/datagym-v1.md section 5.4).

    As in DataGym, SUCCESS means the image is on its way: a worker fetches the URLs
    (labeling/url_imports.py), never the request, and each answer carries the id the image will
    have once stored, checked like an upload. A URL that cannot be fetched, or is not an image,
    adds nothing; the native API's url-imports say why.
    """
    dataset = dataset_for(user, dataset_id)
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise validation([detail("body", "ex_val_invalid", ["body", "a JSON array of URL strings"])])
    urls = list(dict.fromkeys(urls))
    if len(urls) > url_imports.MAX_URLS:
        raise validation([detail("body", "ex_val_invalid", ["body", f"at most {url_imports.MAX_URLS} URLs"])])
    stored = Media.objects.filter(dataset=dataset).exclude(source_url="").values_list("source_url", flat=True)
    known = {u.lower() for u in [*stored, *url_imports.pending_urls(dataset)]}
    results, queued = [], {}
    for url in urls:
        if url.lower() in known:
            results.append(url_status(url, "DUPLICATE"))
            continue
        try:
            url_imports.check_url(url)
        except (FetchFailed, ImageRejected):
            results.append(url_status(url, "FAILED"))
            continue
        extension = url_imports.file_name(url).rsplit(".", 1)[-1].lower()
        if urllib.parse.urlsplit(url).query or extension not in URL_EXTENSIONS:
            results.append(url_status(url, "UNSUPPORTED_MIME_TYPE"))
            continue
        queued[url] = uuid.uuid4()
        known.add(url.lower())
        results.append(url_status(url, "SUCCESS", queued[url]))
    if queued:
        url_imports.start_url_import(dataset, list(queued), user=user, media_ids=list(queued.values()))
    return results


def delete_media(user, media_id):
    """DELETE api/v1/media/{m}: the image, its tasks and labels go; affected exports change."""
    media_module.delete_media(media_for(user, media_id))


# Label configuration (docs/datagym-v1.md section 5.8) --------------------------------------------------------


def configuration_for(user, config_id):
    configuration = LabelConfiguration.objects.filter(pk=config_id).first() if str(config_id).isdigit() else None
    if configuration is None or not access.admin_projects(user).filter(pk=configuration.project_id).exists():
        raise not_found("LabelConfiguration", "id", config_id)
    return configuration


def clear_configuration(user, config_id):
    """DELETE //api/v1/config/{c}: answered, but nothing is cleared.

    The client always follows it with the PUT of the new configuration, which replaces the old
    one in one validated step; clearing here would leave a project with no classes (and, in
    DataGym, no labels) whenever that PUT is refused.
    """
    configuration = configuration_for(user, config_id)
    return {"configId": str(configuration.pk)}


def replace_configuration(user, config_id, body):
    configuration = configuration_for(user, config_id)
    if not isinstance(body, list):
        raise validation([detail("body", "ex_val_invalid", ["body", "a JSON array of entries"])])
    try:
        configuration = save_configuration(configuration.project, body, confirm=True)
    except config.ConfigurationError as error:
        raise validation(
            [detail(message, "ex_val_invalid", ["entry", message]) for message in error.errors], "; ".join(error.errors)
        ) from error
    configuration.refresh_from_db(fields=["data"])
    states = dict(Task.objects.filter(project_id=configuration.project_id).values_list("state").annotate(n=Count("id")))
    return {
        "id": str(configuration.pk),
        "projectId": str(configuration.project_id),
        "entries": config.to_datagym(configuration.data),
        "numberOfCompletedTasks": states.get(State.COMPLETED, 0),
        "numberOfReviewedTasks": states.get(State.REVIEWED, 0),
    }


# Import (docs/datagym-v1.md section 5.7) -------------------------------------------------------------------------


def import_predictions(user, project_id, stream, length):
    """POST api/v1/project/{p}/prediction: import DataGym JSON through labeling.importing.

    As in DataGym, a body that is not JSON answers 200 with the parser's message and an empty or
    non-array body is a 500. Files Labelyard's reader refuses (schema or semantic errors) are a
    500 ErrorTO listing every error with its JSON path, so the client raises instead of passing
    a silent 200 on to its caller; nothing of a refused request is written.
    """
    project = project_for(user, project_id)
    with read_to_tempfile(stream, length, settings.LABELYARD_MAX_IMPORT_BYTES) as handle:
        data = handle.read()
    if not data.strip():
        raise V1Error(500, "ex_gen_error_messages", [], "Unable to parse the content. No data available?")
    # Only the syntax and the outer array are checked here: a number out of range (1e400) is valid
    # JSON, refused by the importer below with its path like every other value it cannot take.
    try:
        msgspec.json.decode(data, type=list[msgspec.Raw])
    except msgspec.ValidationError as error:
        raise V1Error(500, "ex_gen_error_messages", [], "The body must be a JSON array of tasks.") from error
    except (msgspec.DecodeError, RecursionError):
        try:
            jsonio.loads(data)
        except jsonio.JSONDecodeError as error:
            return {"errorMessages": str(error)}
        return {"errorMessages": "The body is not valid JSON."}
    try:
        importing.import_labels(project, data, user=user)
    except importing.FileTooLarge as error:
        raise too_large(len(data), settings.LABELYARD_MAX_IMPORT_BYTES) from error
    except importing.ImportRejected as error:
        details = [detail(e["path"] or "body", "ex_val_invalid", [e["path"], e["message"]]) for e in error.errors]
        lines = "\n".join(f"{e['path']}: {e['message']}" if e["path"] else e["message"] for e in error.errors)
        raise V1Error(500, "ex_gen_error_messages", [], f"{error}\n{lines}", details) from error
    return {"errorMessages": ""}


# Export (docs/datagym-v1.md section 5.5) ------------------------------------------------------------------------


def export_rows(project, bitmap_url):
    """Snapshot rows for formats.datagym.write: the project's finished tasks in id order."""
    index = config.Index(project.label_configuration.data)
    segmentation_keys = [key for key, entry in index.geometries.items() if entry.kind == "image_segmentation"]
    tasks = (
        Task.objects.filter(project=project, state__in=DONE_STATES)
        .select_related("media", "labeler", "labels")
        .order_by("id")
        .iterator(chunk_size=500)
    )
    for task in tasks:
        labels = getattr(task, "labels", None)
        yield {
            "internal_media_ID": str(task.media_id),
            "external_media_ID": task.media.original_name,
            "labeler": task.labeler.username if task.labeler else None,
            "status": task.state,
            "segmentations": [bitmap_url(task.pk, key) for key in segmentation_keys] if segmentation_keys else None,
            "document": labels.document if labels else None,
        }


def export_file(user, project_id, bitmap_url):
    """Write the DataGym JSON export of a project to a temporary file; returns (project, file)."""
    project = project_for(user, project_id)
    project = Project.objects.select_related("label_configuration").get(pk=project.pk)
    handle = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK)  # noqa: SIM115 - returned; the caller closes it
    datagym.write(handle, project.label_configuration.data, export_rows(project, bitmap_url))
    handle.seek(0)
    return project, handle


def bitmap(user, task_id, entry_key):
    """GET api/v1/export/bitmap/{t}/{key} (docs/datagym-v1.md section 5.6): one class's mask as an 8-bit BMP."""
    # Like every v1 route, only the projects where the token's user is admin (docs/datagym-v1.md section 3).
    task = (
        Task.objects.filter(pk=task_id, project__in=access.admin_projects(user))
        .select_related("media", "labels")
        .first()
        if str(task_id).isdigit()
        else None
    )
    if task is None:
        raise not_found("Task", "id", task_id)
    if task.state not in DONE_STATES:
        raise V1Error(500, "ex_gen_wrong_label_task_state", [], f"The task is {task.state}, not finished.")
    kinds = {key: entry["kind"] for key, entry in _walk(task.project.label_configuration.entries)}
    if entry_key not in kinds:
        raise not_found("lcEntry", "entry_key", entry_key)
    labels = getattr(task, "labels", None)
    geometries = labels.document.get("geometries", []) if labels and kinds[entry_key] == "image_segmentation" else []
    objects = [g["coordinates"] for g in geometries if g.get("class") == entry_key and g.get("coordinates")]
    encoded = io.BytesIO()
    Image.fromarray(masks.render(task.media.width, task.media.height, objects)).save(encoded, "BMP")
    return encoded.getvalue()


def _walk(entries):
    for entry in entries:
        yield entry["key"], entry
        yield from _walk(entry.get("children", []))


def millis_now():
    return millis(timezone.now())
