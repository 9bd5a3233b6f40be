"""gem5.resources.downloader, local only: a resource's `url` is a file:// URL or
a path (relative paths are relative to the JSON file that lists it). The file
is used where it is, or copied (and unpacked when the entry says it is
gzipped or a tar archive) to `to_path` / the resource directory, as gem5
places downloads. A web URL is only ever satisfied by a copy already present
at that place (one gem5 downloaded earlier, with the right md5); simobjs
never downloads."""

from __future__ import annotations

import gzip
import os
import shutil
import tarfile
from pathlib import Path
from typing import Any

from gem5.resources import local_files
from gem5.resources.client import NEVER_DOWNLOADS
from gem5.resources.client_api.jsonclient import local_path_of
from gem5.resources.md5_utils import md5

SOURCE_DIR_KEY = "_simobjs_source_dir"  # where the JSON file listing the entry is


def default_resource_dir() -> Path:
    """GEM5_RESOURCE_DIR, else gem5's defaults: ~/.cache/gem5, else ./resources."""
    if "GEM5_RESOURCE_DIR" in os.environ:
        return Path(os.environ["GEM5_RESOURCE_DIR"])
    cache = Path.home() / ".cache" / "gem5"
    if cache.is_dir() or not (Path.cwd() / "resources").is_dir():
        return cache
    return Path.cwd() / "resources"


def _flag(entry: dict[str, Any], key: str) -> bool:
    value = entry.get(key, False)
    if isinstance(value, str):
        return value.lower() == "true"
    if isinstance(value, bool):
        return value
    raise Exception(
        f"The resource.json entry for '{entry['id']}' has a value for the '{key}' field "
        "which is neither a string or a boolean."
    )


def _md5_ok(path: Path, entry: dict[str, Any]) -> bool:
    wanted = entry.get("md5sum")
    return not wanted or md5(path) == wanted


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def _copy_in(entry: dict[str, Any], source: Path, dest: Path, quiet: bool) -> None:
    """Copy `source` to `dest`, gunzipping and untarring as the entry says."""
    unzip, untar = _flag(entry, "is_zipped"), _flag(entry, "is_tar_archive")
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not quiet:
        print(f"Resource '{entry['id']}' is being copied from '{source}' to '{dest}'...")
    staged = dest.with_name(dest.name + ".partial")
    if unzip:
        with gzip.open(source, "rb") as f, open(staged, "wb") as out:
            shutil.copyfileobj(f, out)
    elif untar:
        shutil.copyfile(source, staged)
    elif source.is_dir():
        shutil.copytree(source, staged)
    else:
        shutil.copyfile(source, staged)
    if untar:
        with tarfile.open(staged) as archive:
            archive.extractall(dest, filter="data")  # refuses paths leaving dest
        staged.unlink()
    else:
        staged.replace(dest)


def get_resource(
    entry: dict[str, Any],
    to_path: str | None = None,
    resource_directory: str | None = None,
    download_md5_mismatch: bool = True,
    quiet: bool = False,
) -> str | None:
    """The local path of resource `entry` (a JSON entry), placing it if needed."""
    url = entry.get("url")
    if not url:
        return to_path
    rid, version = entry["id"], entry.get("resource_version")
    placed = Path(to_path) if to_path else None
    if placed is None and resource_directory is not None:
        placed = Path(resource_directory) / rid
    source = local_path_of(url)
    if source is not None and not source.is_absolute():
        source = Path(entry.get(SOURCE_DIR_KEY, ".")) / source
    unpack = _flag(entry, "is_zipped") or _flag(entry, "is_tar_archive")

    if source is not None and placed is None and not unpack:
        source = Path(local_files.located(source))
        if not source.exists():
            raise Exception(
                f"Resource '{rid}' (version {version}): its url names '{source}', which "
                "does not exist"
            )
        if not _md5_ok(source, entry):
            raise Exception(
                f"Resource '{rid}' (version {version}): the md5 of '{source}' is "
                f"{md5(source)}, its entry says {entry['md5sum']}"
            )
        return str(source)

    dest = placed if placed is not None else default_resource_dir() / rid
    dest = Path(local_files.located(dest))  # a sweep's simulation: the shipped copy
    if dest.exists():
        if _md5_ok(dest, entry):
            return str(dest)
        if not download_md5_mismatch:
            raise Exception(
                f"There already a file present at '{dest}' but its md5 value is invalid."
            )
        if source is None:
            raise Exception(
                f"Resource '{rid}' (version {version}): the copy at '{dest}' has the wrong "
                f"md5 and its url '{url}' is a web URL. {NEVER_DOWNLOADS}."
            )
        _remove(dest)
    if source is None:
        raise Exception(
            f"Resource '{rid}' (version {version}) is at '{url}', a web URL, and no local "
            f"copy was found at '{dest}'. {NEVER_DOWNLOADS}."
        )
    if not source.exists():
        raise Exception(f"Could not find file at path '{source}'")
    _copy_in(entry, source, dest, quiet)
    if not _md5_ok(dest, entry):
        raise Exception(
            f"Resource '{rid}' (version {version}): the md5 of '{dest}' (copied from "
            f"'{source}') is {md5(dest)}, its entry says {entry['md5sum']}"
        )
    return local_files.located(str(dest))
