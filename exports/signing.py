"""Signed, expiring URLs for the images and instance bitmaps a release file points at.

The Segments.ai SDK downloads them with a plain GET, without cookies or headers
(docs/segments-release.md section 11, rule 3), so the URL itself carries the permission: a token signed with the
site's secret key that names the release, the image and the kind of file. Its age is checked when it
is used, against LABELYARD_RELEASE_URL_MAX_AGE, so changing that setting also changes the lifetime of
URLs already handed out.
"""

from django.conf import settings
from django.core import signing

SALT = "exports.release-file"
IMAGE, BITMAP = "i", "b"


class InvalidToken(ValueError):
    """A release file token that was tampered with, has expired, or does not name a release file."""


def max_age():
    return settings.LABELYARD_RELEASE_URL_MAX_AGE


def new_signer():
    """A signer for release file tokens; one serves every URL of a release file."""
    return signing.TimestampSigner(salt=SALT)


def token(signer, release_id, media_id, kind):
    return signer.sign(f"{release_id}.{media_id}.{kind}")


def read(value):
    """(release id, media id, kind) of a valid token; InvalidToken otherwise."""
    try:
        release_id, media_id, kind = new_signer().unsign(value, max_age=max_age()).split(".")
    except signing.SignatureExpired as error:
        raise InvalidToken("This link has expired; ask for a new release.") from error
    except (signing.BadSignature, ValueError) as error:
        raise InvalidToken("This link is not valid.") from error
    if kind not in (IMAGE, BITMAP) or not release_id.isdigit():
        raise InvalidToken("This link is not valid.")
    return int(release_id), media_id, kind
