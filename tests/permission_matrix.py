"""The permission matrix: every route of the site, each actor, and the answer that actor must get.

tests/test_permission_matrix.py builds one world per test (tests/test_permission_matrix.py
`World`) and turns each (row, actor) pair into a test. A row is one route and method; `route` is
the route's pattern as Django's resolver spells it, so a route without a row fails
`test_every_route_has_a_row`. Paths use the world's placeholders: {project}, {dataset} (attached
to the project), {spare_dataset} (created by the project admin, attached nowhere), {media},
{task} (the labeler's task in progress), {other_task} (another labeler's), {done_task}
(completed by the labeler, waiting for review), {member} (the other labeler's membership),
{export}, {release}, {import_job}, {url_import} (a URL import into {dataset}) and its
{url_import_item}, {bucket_source} (a bucket connected to {dataset}) and its {bucket_sync}, {config},
{user}, {group}.

The rules behind the numbers (projects/access.py, docs/decisions.md): strangers get 404, lesser
roles 403, the superuser is admin everywhere; every member may read, export and download; imports,
configuration, members and datasets are admin-only; labelers edit, skip and complete only their
own tasks; reviewers review but do not relabel. Pages redirect anonymous visitors to the login
page and ignore API tokens; the downloads the API points at (export files, masks, release files)
take a session or a token. The native API (/api/...) takes a session or a token and answers 401
without either. The DataGym v1 API (/api/v1/...) takes only tokens, and a token sees the projects
where its user is admin.
"""

from dataclasses import dataclass, field

LOGIN = "login"  # 302 to /accounts/login/?next=...
ADMIN_LOGIN = "admin_login"  # 302 to /admin/login/?next=...

SESSION_ACTORS = ("anonymous", "stranger", "labeler", "reviewer", "admin", "superuser")
TOKEN_ACTORS = ("token_stranger", "token_labeler", "token_reviewer", "token_admin", "token_superuser")
ROLES = ("stranger", "labeler", "reviewer", "admin", "superuser")


@dataclass(frozen=True)
class Row:
    """One route and method. `expect` maps actor -> status code, LOGIN or ADMIN_LOGIN.

    `body(world)` returns the keyword arguments of the test client's request (data, content
    type, headers). For list routes, `sees` names the actors whose answer mentions the world's
    project or dataset; for every other actor the answer must not.
    """

    route: str
    method: str
    path: str
    expect: dict
    body: object = None
    sees: frozenset = field(default=frozenset())


def _roles(stranger, labeler, reviewer, admin, superuser):
    return dict(zip(ROLES, (stranger, labeler, reviewer, admin, superuser), strict=True))


def page(stranger, labeler, reviewer, admin, superuser):
    """A server-rendered page: anonymous visitors and API tokens go to the login page."""
    return {"anonymous": LOGIN, **_roles(stranger, labeler, reviewer, admin, superuser), "token_superuser": LOGIN}


def api(stranger, labeler, reviewer, admin, superuser):
    """The native API: a token gets what its user's session gets; nobody gets 401."""
    roles = _roles(stranger, labeler, reviewer, admin, superuser)
    return {"anonymous": 401, **roles, **{f"token_{role}": code for role, code in roles.items()}}


def download(stranger, labeler, reviewer, admin, superuser):
    """A file that pages link to and the API points at: a session as a page, a token as its user."""
    roles = _roles(stranger, labeler, reviewer, admin, superuser)
    return {"anonymous": LOGIN, **roles, **{f"token_{role}": code for role, code in roles.items()}}


def v1(stranger, labeler, reviewer, admin, superuser):
    """The DataGym v1 API: tokens only; a session is no credential there."""
    roles = _roles(stranger, labeler, reviewer, admin, superuser)
    return {**dict.fromkeys(SESSION_ACTORS, 401), **{f"token_{role}": code for role, code in roles.items()}}


def everyone(code):
    return dict.fromkeys(SESSION_ACTORS + TOKEN_ACTORS, code)


def staff_only(superuser_code, actors=SESSION_ACTORS + ("token_superuser",)):
    """Django's admin: only staff get in (the superuser here); everyone else is sent to its login."""
    return {**dict.fromkeys(actors, ADMIN_LOGIN), "superuser": superuser_code}


# The admin decides by is_staff alone and knows nothing of project roles, so its per-model pages are
# asked by the anonymous visitor, the strongest non-staff user (a project admin), the superuser
# and the superuser's token; the site-wide admin pages above them by every actor.
MODEL_ADMIN_ACTORS = ("anonymous", "admin", "superuser", "token_superuser")


MEMBER_PAGE = page(404, 200, 200, 200, 200)
ADMIN_PAGE = page(404, 403, 403, 200, 200)
MEMBER_API = api(404, 200, 200, 200, 200)
MEMBER_DOWNLOAD = download(404, 200, 200, 200, 200)
ADMIN_API = api(404, 403, 403, 200, 200)
ALL_PAGE = page(200, 200, 200, 200, 200)
MEMBERS = frozenset({"labeler", "reviewer", "admin", "superuser"})
TOKEN_MEMBERS = frozenset(f"token_{a}" for a in MEMBERS)
V1_ADMINS = frozenset({"token_admin", "token_superuser"})

CONFIG_JSON = {
    "entries": [
        {"key": "car", "name": "Car", "kind": "polygon"},
        {"key": "seg", "name": "Segmentation", "kind": "image_segmentation"},
    ]
}


# A bucket on AWS (no endpoint to check) that the matrix never reaches: its sync is queued on commit.
BUCKET_FORM = {"bucket": "matrix-new-bucket", "prefix": "p/", "access_key_id": "AKIAMATRIX", "secret_access_key": "s"}


def _json(data):
    return lambda w: {"data": data, "content_type": "application/json"}


def _form(data):
    return lambda w: {"data": data(w) if callable(data) else data}


ROWS = [
    # Pages of the projects app ------------------------------------------------------------
    Row("", "GET", "/", ALL_PAGE, sees=MEMBERS),
    Row("projects/new", "GET", "/projects/new", ALL_PAGE),
    Row("projects/new", "POST", "/projects/new", page(302, 302, 302, 302, 302), _form({"name": "Brand new"})),
    Row("projects/<int:pk>/", "GET", "/projects/{project}/", MEMBER_PAGE),
    Row("projects/<int:pk>/edit", "GET", "/projects/{project}/edit", ADMIN_PAGE),
    Row("projects/<int:pk>/edit", "POST", "/projects/{project}/edit", page(404, 403, 403, 302, 302),
        _form({"name": "Renamed", "short_description": "", "description": ""})),
    Row("projects/<int:pk>/delete", "GET", "/projects/{project}/delete", ADMIN_PAGE),
    Row("projects/<int:pk>/delete", "POST", "/projects/{project}/delete", page(404, 403, 403, 302, 302),
        _form(lambda w: {"name": w.project.name})),
    Row("projects/<int:pk>/images", "GET", "/projects/{project}/images", ADMIN_PAGE),
    Row("projects/<int:pk>/images", "POST", "/projects/{project}/images", page(404, 403, 403, 302, 302),
        lambda w: {"data": {"new_dataset_name": "dropped", "images": w.png_file()}}),
    Row("projects/<int:pk>/configuration", "GET", "/projects/{project}/configuration", ADMIN_PAGE),
    Row("projects/<int:pk>/configuration", "POST", "/projects/{project}/configuration", page(404, 403, 403, 302, 302),
        _form({"configuration": '{"entries": [{"key": "car", "name": "Car", "kind": "polygon"}, '
                                '{"key": "seg", "name": "Seg", "kind": "image_segmentation"}]}'})),
    Row("projects/<int:pk>/configuration/check", "POST", "/projects/{project}/configuration/check", ADMIN_PAGE,
        _json(CONFIG_JSON)),
    Row("projects/<int:pk>/members", "GET", "/projects/{project}/members", ADMIN_PAGE),
    Row("projects/<int:pk>/members", "POST", "/projects/{project}/members", page(404, 403, 403, 302, 302),
        _form({"action": "add", "username": "newcomer", "role": "labeler"})),
    Row("datasets/", "GET", "/datasets/", ALL_PAGE, sees=frozenset({"admin", "superuser"})),
    Row("datasets/", "POST", "/datasets/", page(302, 302, 302, 302, 302), _form({"name": "fresh set"})),
    # The dataset pages manage a dataset; who cannot manage it is not told it exists.
    Row("datasets/<int:pk>/", "GET", "/datasets/{dataset}/", page(404, 404, 404, 200, 200)),
    Row("datasets/<int:pk>/upload", "POST", "/datasets/{dataset}/upload", page(404, 404, 404, 201, 201),
        lambda w: {"data": {"image": w.png_file()}}),
    Row("datasets/<int:pk>/urls", "POST", "/datasets/{dataset}/urls", page(404, 404, 404, 302, 302),
        _form({"urls": "http://example.invalid/a.png"})),
    Row("datasets/<int:pk>/attach", "POST", "/datasets/{spare_dataset}/attach", page(404, 404, 404, 302, 302),
        _form(lambda w: {"project": w.project.pk})),
    Row("datasets/<int:pk>/buckets", "POST", "/datasets/{dataset}/buckets", page(404, 404, 404, 302, 302),
        _form(BUCKET_FORM)),
    Row("datasets/<int:pk>/buckets/<int:source_id>/sync", "POST", "/datasets/{dataset}/buckets/{bucket_source}/sync",
        page(404, 404, 404, 302, 302)),
    Row("datasets/<int:pk>/buckets/<int:source_id>/credentials", "POST",
        "/datasets/{dataset}/buckets/{bucket_source}/credentials", page(404, 404, 404, 302, 302),
        _form({"region": "eu-west-1"})),
    Row("datasets/<int:pk>/buckets/<int:source_id>/disconnect", "POST",
        "/datasets/{dataset}/buckets/{bucket_source}/disconnect", page(404, 404, 404, 302, 302)),
    Row("account/api-tokens", "GET", "/account/api-tokens", ALL_PAGE),
    Row("account/api-tokens", "POST", "/account/api-tokens", ALL_PAGE, _form({"action": "create", "name": "ci"})),
    Row("media/<uuid:media_id>/file", "GET", "/media/{media}/file", MEMBER_PAGE),
    Row("media/<uuid:media_id>/thumbnail", "GET", "/media/{media}/thumbnail", MEMBER_PAGE),
    # Pages of the labeling app -------------------------------------------------------------
    Row("projects/<int:pk>/tasks", "GET", "/projects/{project}/tasks", MEMBER_PAGE),
    Row("projects/<int:pk>/tasks", "POST", "/projects/{project}/tasks", page(404, 403, 403, 302, 302),
        _form(lambda w: {"action": "reset", "tasks": [w.done_task.pk]})),
    # The labeler has a task in progress and is sent to it; admins find no waiting task.
    Row("projects/<int:pk>/label", "GET", "/projects/{project}/label", page(404, 302, 403, 200, 200)),
    Row("tasks/<int:task_id>/label", "GET", "/tasks/{task}/label", MEMBER_PAGE),
    Row("projects/<int:pk>/review", "GET", "/projects/{project}/review", page(404, 403, 302, 302, 302)),
    Row("tasks/<int:task_id>/review", "GET", "/tasks/{done_task}/review", page(404, 403, 200, 200, 200)),
    Row("projects/<int:pk>/import", "GET", "/projects/{project}/import", ADMIN_PAGE),
    Row("projects/<int:pk>/import", "POST", "/projects/{project}/import", page(404, 403, 403, 302, 302),
        lambda w: {"data": {"file": w.json_file(b"[]"), "dry_run": "on"}}),
    Row("projects/<int:pk>/imports/<int:job_id>", "GET", "/projects/{project}/imports/{import_job}", ADMIN_PAGE),
    Row("projects/<int:pk>/imports/<int:job_id>/status", "GET", "/projects/{project}/imports/{import_job}/status",
        ADMIN_PAGE),
    # Pages of the exports app: every member exports and downloads ------------------------------
    Row("projects/<int:project_id>/export", "GET", "/projects/{project}/export", MEMBER_PAGE),
    Row("projects/<int:project_id>/export", "POST", "/projects/{project}/export", page(404, 302, 302, 302, 302),
        _form({"states": ["completed"]})),
    Row("exports/<int:pk>/download", "GET", "/exports/{export}/download", MEMBER_DOWNLOAD),
    Row("exports/<int:pk>/download.zip", "GET", "/exports/{export}/download.zip", MEMBER_DOWNLOAD),
    Row("exports/<int:pk>/masks/<uuid:media_id>/<str:key>.png", "GET", "/exports/{export}/masks/{media}/seg.png",
        MEMBER_DOWNLOAD),
    # Releases: every member reads and downloads them; only admins create them ---------------------
    Row("projects/<int:project_id>/releases", "GET", "/projects/{project}/releases", MEMBER_PAGE),
    Row("projects/<int:project_id>/releases", "POST", "/projects/{project}/releases", page(404, 403, 403, 200, 200),
        _form({})),
    Row("releases/<int:pk>/download", "GET", "/releases/{release}/download", MEMBER_DOWNLOAD),
    Row("releases/<int:pk>/coco", "GET", "/releases/{release}/coco", MEMBER_DOWNLOAD),
    # Release files are served to whoever holds a signed link (exports.signing); without one, nobody.
    Row("release-files/<str:token>/<str:filename>", "GET", "/release-files/forged-token/{media}.png", everyone(403)),
    Row("api/projects/<int:project_id>/releases", "GET", "/api/projects/{project}/releases", MEMBER_API),
    Row("api/projects/<int:project_id>/releases", "POST", "/api/projects/{project}/releases",
        api(404, 403, 403, 400, 400), _json({})),
    Row("api/releases/<int:pk>", "GET", "/api/releases/{release}", MEMBER_API),
    # Authentication ------------------------------------------------------------------------------
    Row("accounts/login/", "GET", "/accounts/login/", {**ALL_PAGE, "anonymous": 200, "token_superuser": 200}),
    Row("accounts/logout/", "POST", "/accounts/logout/", everyone(LOGIN)),
    Row("accounts/password_change/", "GET", "/accounts/password_change/", ALL_PAGE),
    Row("accounts/password_change/done/", "GET", "/accounts/password_change/done/", ALL_PAGE),
    Row("accounts/password_reset/", "GET", "/accounts/password_reset/", everyone(200)),
    Row("accounts/password_reset/done/", "GET", "/accounts/password_reset/done/", everyone(200)),
    Row("accounts/reset/<uidb64>/<token>/", "GET", "/accounts/reset/MQ/set-password/", everyone(200)),
    Row("accounts/reset/done/", "GET", "/accounts/reset/done/", everyone(200)),
    # The API's description is public: it is the same for every installation of this open-source app.
    Row("api/schema/", "GET", "/api/schema/", everyone(200)),
    Row("api/docs/", "GET", "/api/docs/", everyone(200)),
    # Native API: projects --------------------------------------------------------------------------
    Row("api/projects", "GET", "/api/projects", api(200, 200, 200, 200, 200), sees=MEMBERS | TOKEN_MEMBERS),
    Row("api/projects", "POST", "/api/projects", api(201, 201, 201, 201, 201), _json({"name": "Via API"})),
    Row("api/projects/<int:pk>", "GET", "/api/projects/{project}", MEMBER_API),
    Row("api/projects/<int:pk>", "PATCH", "/api/projects/{project}", ADMIN_API, _json({"short_description": "x"})),
    Row("api/projects/<int:pk>", "PUT", "/api/projects/{project}", ADMIN_API, _json({"name": "Put name"})),
    Row("api/projects/<int:pk>/configuration", "GET", "/api/projects/{project}/configuration", MEMBER_API),
    Row("api/projects/<int:pk>/configuration", "PUT", "/api/projects/{project}/configuration", ADMIN_API,
        _json({"configuration": CONFIG_JSON, "confirm": False})),
    Row("api/projects/<int:pk>/members", "GET", "/api/projects/{project}/members", MEMBER_API),
    Row("api/projects/<int:pk>/members", "POST", "/api/projects/{project}/members", api(404, 403, 403, 201, 201),
        _json({"username": "newcomer", "role": "labeler"})),
    Row("api/projects/<int:pk>/members/<int:member_id>", "PATCH", "/api/projects/{project}/members/{member}",
        ADMIN_API, _json({"role": "reviewer"})),
    Row("api/projects/<int:pk>/members/<int:member_id>", "DELETE", "/api/projects/{project}/members/{member}",
        api(404, 403, 403, 204, 204)),
    Row("api/projects/<int:pk>/datasets", "GET", "/api/projects/{project}/datasets", MEMBER_API),
    Row("api/projects/<int:pk>/datasets", "POST", "/api/projects/{project}/datasets", api(404, 403, 403, 201, 201),
        lambda w: {"data": {"dataset": w.spare_dataset.pk}, "content_type": "application/json"}),
    Row("api/projects/<int:pk>/datasets/<int:dataset_id>", "DELETE", "/api/projects/{project}/datasets/{dataset}",
        api(404, 403, 403, 204, 204)),
    Row("api/projects/<int:pk>/tasks", "GET", "/api/projects/{project}/tasks", MEMBER_API),
    # Native API: datasets and media; readers are the members of a project using the dataset ------
    Row("api/datasets", "GET", "/api/datasets", api(200, 200, 200, 200, 200), sees=MEMBERS | TOKEN_MEMBERS),
    Row("api/datasets", "POST", "/api/datasets", api(201, 201, 201, 201, 201), _json({"name": "api set"})),
    Row("api/datasets/<int:pk>", "GET", "/api/datasets/{dataset}", MEMBER_API),
    Row("api/datasets/<int:pk>/media", "GET", "/api/datasets/{dataset}/media", MEMBER_API),
    Row("api/datasets/<int:pk>/media", "POST", "/api/datasets/{dataset}/media", api(404, 403, 403, 201, 201),
        lambda w: {"data": {"file": w.png_file()}}),
    Row("api/datasets/<int:pk>/url-imports", "GET", "/api/datasets/{dataset}/url-imports", ADMIN_API),
    Row("api/datasets/<int:pk>/url-imports", "POST", "/api/datasets/{dataset}/url-imports",
        api(404, 403, 403, 202, 202), _json({"urls": ["http://example.invalid/a.png"]})),
    Row("api/url-imports/<int:job_id>", "GET", "/api/url-imports/{url_import}", ADMIN_API),
    # Bucket sources are the dataset's managers' (their secret is theirs); syncs are queued on commit.
    Row("api/datasets/<int:pk>/bucket-sources", "GET", "/api/datasets/{dataset}/bucket-sources", ADMIN_API),
    Row("api/datasets/<int:pk>/bucket-sources", "POST", "/api/datasets/{dataset}/bucket-sources",
        api(404, 403, 403, 202, 202), _json(BUCKET_FORM)),
    Row("api/bucket-sources/<int:source_id>", "GET", "/api/bucket-sources/{bucket_source}", ADMIN_API),
    Row("api/bucket-sources/<int:source_id>", "PATCH", "/api/bucket-sources/{bucket_source}", ADMIN_API,
        _json({"region": "eu-west-1"})),
    Row("api/bucket-sources/<int:source_id>", "DELETE", "/api/bucket-sources/{bucket_source}",
        api(404, 403, 403, 204, 204)),
    Row("api/bucket-sources/<int:source_id>/syncs", "GET", "/api/bucket-sources/{bucket_source}/syncs", ADMIN_API),
    Row("api/bucket-sources/<int:source_id>/syncs", "POST", "/api/bucket-sources/{bucket_source}/syncs",
        api(404, 403, 403, 202, 202)),
    Row("api/bucket-syncs/<int:job_id>", "GET", "/api/bucket-syncs/{bucket_sync}", ADMIN_API),
    Row("api/media/<uuid:media_id>", "GET", "/api/media/{media}", MEMBER_API),
    Row("api/media/<uuid:media_id>", "DELETE", "/api/media/{media}", api(404, 403, 403, 204, 204)),
    Row("api/media/<uuid:media_id>/file", "GET", "/api/media/{media}/file", MEMBER_API),
    # Native API: tasks ------------------------------------------------------------------------------
    Row("api/tasks/<int:task_id>", "GET", "/api/tasks/{task}", MEMBER_API),
    Row("api/tasks/<int:task_id>/state", "POST", "/api/tasks/{task}/state", ADMIN_API, _json({"state": "waiting"})),
    Row("api/tasks/<int:task_id>/assign", "POST", "/api/tasks/{task}/assign", ADMIN_API, _json({"labeler": "labeler"})),
    # Labels: the labeler edits their own task in progress; reviewers read; admins edit any --------
    Row("api/tasks/<int:task_id>/labels", "GET", "/api/tasks/{task}/labels", MEMBER_API),
    Row("api/tasks/<int:task_id>/labels", "PUT", "/api/tasks/{task}/labels", api(404, 200, 403, 200, 200),
        _json({"document": {"geometries": [], "classifications": {}}, "version": 0})),
    Row("api/tasks/<int:task_id>/labels", "PUT", "/api/tasks/{other_task}/labels", api(404, 403, 403, 200, 200),
        _json({"document": {"geometries": [], "classifications": {}}, "version": 0})),
    Row("api/tasks/<int:task_id>/skip", "POST", "/api/tasks/{task}/skip", api(404, 200, 403, 403, 403)),
    Row("api/tasks/<int:task_id>/skip", "POST", "/api/tasks/{other_task}/skip", api(404, 403, 403, 403, 403)),
    Row("api/tasks/<int:task_id>/complete", "POST", "/api/tasks/{task}/complete", api(404, 200, 403, 403, 403)),
    Row("api/tasks/<int:task_id>/complete", "POST", "/api/tasks/{other_task}/complete",
        api(404, 403, 403, 403, 403)),
    Row("api/tasks/<int:task_id>/accept", "POST", "/api/tasks/{done_task}/accept", api(404, 403, 200, 200, 200)),
    Row("api/tasks/<int:task_id>/reject", "POST", "/api/tasks/{done_task}/reject", api(404, 403, 200, 200, 200),
        _json({"comment": "The car is a bus."})),
    # Imports are admin-only; exports are for every member ------------------------------------------
    Row("api/projects/<int:pk>/imports", "POST", "/api/projects/{project}/imports?dry_run=1",
        api(404, 403, 403, 200, 200), lambda w: w.import_body()),
    Row("api/projects/<int:project_id>/exports", "GET", "/api/projects/{project}/exports", MEMBER_API),
    Row("api/projects/<int:project_id>/exports", "POST", "/api/projects/{project}/exports",
        api(404, 201, 201, 201, 201), _json({"masks": False})),
    Row("api/exports/<int:pk>", "GET", "/api/exports/{export}", MEMBER_API),
    Row("^api(?:/.*)?$", "GET", "/api/no-such-thing", everyone(404)),
    # DataGym v1 API: tokens only, and a token sees its user's admin projects -------------------------
    Row("^(?:/)?api/v1/project$", "GET", "/api/v1/project", v1(200, 200, 200, 200, 200), sees=V1_ADMINS),
    Row("^(?:/)?api/v1/project/(?P<project_id>[^/]+)/dataset/(?P<dataset_id>[^/]+)$", "POST",
        "/api/v1/project/{project}/dataset/{spare_dataset}", v1(404, 403, 403, 200, 200)),
    Row("^(?:/)?api/v1/project/(?P<project_id>[^/]+)/dataset/(?P<dataset_id>[^/]+)/remove$", "DELETE",
        "/api/v1/project/{project}/dataset/{dataset}/remove", v1(404, 403, 403, 200, 200)),
    Row("^(?:/)?api/v1/project/(?P<project_id>[^/]+)/prediction$", "POST", "/api/v1/project/{project}/prediction",
        v1(404, 403, 403, 200, 200), lambda w: w.import_body()),
    Row("^(?:/)?api/v1/dataset$", "GET", "/api/v1/dataset", v1(200, 200, 200, 200, 200), sees=V1_ADMINS),
    Row("^(?:/)?api/v1/dataset$", "POST", "/api/v1/dataset", v1(200, 200, 200, 200, 200), _json({"name": "v1_set"})),
    Row("^(?:/)?api/v1/dataset/(?P<dataset_id>[^/]+)$", "GET", "/api/v1/dataset/{dataset}",
        v1(404, 404, 404, 200, 200)),
    Row("^(?:/)?api/v1/media/(?P<dataset_id>[^/]+)/url$", "POST", "/api/v1/media/{dataset}/url",
        v1(404, 404, 404, 200, 200), _json([])),
    Row("^(?:/)?api/v1/media/(?P<dataset_id>[^/]+)/file$", "POST", "/api/v1/media/{dataset}/file",
        v1(404, 404, 404, 200, 200), lambda w: w.png_raw()),
    Row("^(?:/)?api/v1/media/(?P<media_id>[^/]+)$", "GET", "/api/v1/media/{media}", v1(404, 404, 404, 200, 200)),
    Row("^(?:/)?api/v1/media/(?P<media_id>[^/]+)$", "DELETE", "/api/v1/media/{media}", v1(404, 404, 404, 200, 200)),
    Row("^(?:/)?api/v1/config/(?P<config_id>[^/]+)$", "DELETE", "/api/v1/config/{config}",
        v1(404, 404, 404, 200, 200)),
    Row("^(?:/)?api/v1/config/(?P<config_id>[^/]+)$", "PUT", "/api/v1/config/{config}", v1(404, 404, 404, 200, 200),
        _json([{"entryKey": "car", "entryValue": "Car", "type": "polygon", "children": []}])),
    Row("^(?:/)?api/v1/export/bitmap/(?P<task_id>[^/]+)/(?P<entry_key>[^/]+)$", "GET",
        "/api/v1/export/bitmap/{done_task}/seg", v1(404, 404, 404, 200, 200)),
    Row("^(?:/)?api/v1/export/(?P<project_id>[^/]+)$", "GET", "/api/v1/export/{project}", v1(404, 403, 403, 200, 200)),
    Row("^(?:/)?api/v1(?:/.*)?$", "GET", "/api/v1/no-such-thing", everyone(404)),
    # Django's admin: staff only --------------------------------------------------------------------
    Row("admin/", "GET", "/admin/", staff_only(200)),
    Row("admin/login/", "GET", "/admin/login/", {**everyone(200), "superuser": 302}),
    # Logging out of the admin without being staff only leads back to the admin's front door.
    Row("admin/logout/", "POST", "/admin/logout/", {**everyone(302), "superuser": LOGIN}),
    Row("admin/password_change/", "GET", "/admin/password_change/", staff_only(200)),
    Row("admin/password_change/done/", "GET", "/admin/password_change/done/", staff_only(200)),
    Row("admin/autocomplete/", "GET", "/admin/autocomplete/", staff_only(403)),
    Row("admin/jsi18n/", "GET", "/admin/jsi18n/", staff_only(200)),
    Row("admin/r/<path:content_type_id>/<path:object_id>/", "GET", "/admin/r/{project_type}/{project}/",
        staff_only(302)),
    Row("admin/^(?P<app_label>auth|projects|labeling|exports)/$", "GET", "/admin/projects/", staff_only(200)),
    Row("admin/(?P<url>.*)$", "GET", "/admin/no-such-page/", staff_only(404)),
    Row("admin/auth/user/<id>/password/", "GET", "/admin/auth/user/{user}/password/", staff_only(200)),
]  # fmt: skip

# Every model in the admin, with the placeholder of a world object of that model.
ADMIN_MODELS = {
    "auth/group": "{group}",
    "auth/user": "{user}",
    "projects/project": "{project}",
    "projects/projectmember": "{member}",
    "projects/labelconfiguration": "{config}",
    "projects/dataset": "{dataset}",
    "projects/media": "{media}",
    "projects/thumbnailjob": "{thumbnail_job}",
    "projects/apitoken": "{api_token}",
    "projects/urlimportjob": "{url_import}",
    "projects/urlimportitem": "{url_import_item}",
    "projects/bucketsource": "{bucket_source}",
    "projects/bucketsyncjob": "{bucket_sync}",
    "labeling/task": "{task}",
    "labeling/tasklabels": "{done_task}",
    "labeling/taskevent": "{task_event}",
    "labeling/importjob": "{import_job}",
    "exports/exportjob": "{export}",
    "exports/exportchunk": "{export_chunk}",
    "exports/release": "{release}",
    "exports/releasechunk": "{release_chunk}",
}
for _model, _object in ADMIN_MODELS.items():
    ROWS += [
        Row(f"admin/{_model}/", "GET", f"/admin/{_model}/", staff_only(200, MODEL_ADMIN_ACTORS)),
        Row(f"admin/{_model}/add/", "GET", f"/admin/{_model}/add/", staff_only(200, MODEL_ADMIN_ACTORS)),
        Row(f"admin/{_model}/<path:object_id>/history/", "GET", f"/admin/{_model}/{_object}/history/",
            staff_only(200, MODEL_ADMIN_ACTORS)),
        Row(f"admin/{_model}/<path:object_id>/delete/", "GET", f"/admin/{_model}/{_object}/delete/",
            staff_only(200, MODEL_ADMIN_ACTORS)),
        Row(f"admin/{_model}/<path:object_id>/change/", "GET", f"/admin/{_model}/{_object}/change/",
            staff_only(200, MODEL_ADMIN_ACTORS)),
        # The bare object URL redirects to its change page (for everyone else, to the admin login).
        Row(f"admin/{_model}/<path:object_id>/", "GET", f"/admin/{_model}/{_object}/",
            staff_only(302, MODEL_ADMIN_ACTORS)),
    ]  # fmt: skip
