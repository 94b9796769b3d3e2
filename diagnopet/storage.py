"""Uploads that never leave a half-written file or a row pointing at a missing one.

- ``FileSystemStorage`` (the default storage, ``settings.STORAGES``) removes what it wrote when a write fails (a
  full disk, a quota, a file-size limit: any ``OSError``), so no partial file stays behind, and answers a full disk
  with ``StorageFull`` (HTTP 507 ``storage_full``; a form error in the back-office). Other ``OSError`` s are raised
  as they are.
- ``files_kept_on_commit`` wraps a service that saves files in its transaction (``@files_kept_on_commit`` above
  ``@transaction.atomic``): a file is written before its row is inserted (Django saves a ``FileField`` in
  ``pre_save``), so a failed write leaves no row; when the block fails afterwards (a refused rule, a failed insert,
  a failed commit), the files it wrote are deleted, so a rolled-back row leaves no file.

A process killed between the write and the commit still leaves a file that no row names (harmless: private, under
a random name). ``shutil.disk_usage`` of ``MEDIA_ROOT`` is reported by ``/healthz`` (``MEDIA_MIN_FREE_MB``).
"""

import contextlib
import contextvars
import functools
import logging
import os
import shutil

from django.conf import settings
from django.core.files import storage

from diagnopet.errors import SPACE_ERRNOS, StorageFull

logger = logging.getLogger(__name__)


# The files written inside the innermost ``files_kept_on_commit`` block: (storage, name) pairs.
_written: contextvars.ContextVar[list | None] = contextvars.ContextVar("diagnopet_files_written", default=None)


class FileSystemStorage(storage.FileSystemStorage):
    """Django's file system storage that cleans up after a failed write (see the module's docstring)."""

    def _save(self, name, content):
        existed = os.path.lexists(self.path(name))
        written = _written.get()
        if written is not None and not existed:
            written.append((self, name))
        try:
            saved = super()._save(name, content)
        except FileExistsError:
            raise
        except OSError as exc:
            if not existed:
                _remove(self, name)
            if exc.errno in SPACE_ERRNOS:
                logger.error("Storage full, upload refused: %s", exc)
                raise StorageFull() from exc
            raise
        if written is not None and saved != name:
            written.append((self, saved))
        return saved


def _remove(file_storage, name: str) -> None:
    try:
        file_storage.delete(name)
    except Exception:  # noqa: BLE001 - a cleanup never hides the error that caused it
        logger.exception("Could not remove %s after a failed upload", name)


@contextlib.contextmanager
def _kept_on_commit():
    outer = _written.get()
    written: list = []
    token = _written.set(written)
    try:
        yield
    except BaseException:
        for file_storage, name in written:
            _remove(file_storage, name)
        raise
    finally:
        _written.reset(token)
    if outer is not None:  # an enclosing block that fails later removes them too
        outer.extend(written)


def files_kept_on_commit(function):
    """Decorate a service (outside its ``@transaction.atomic``): the files it stored are deleted if it fails."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with _kept_on_commit():
            return function(*args, **kwargs)

    return wrapper


def media_free_mb() -> int | None:
    """Free megabytes on the file system of ``MEDIA_ROOT`` (its nearest existing parent), or None if unreadable."""
    path = os.fspath(settings.MEDIA_ROOT)
    while path and not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    try:
        return shutil.disk_usage(path).free // (1024 * 1024)
    except OSError:
        logger.warning("healthz: cannot read the free space of MEDIA_ROOT", exc_info=True)
        return None
