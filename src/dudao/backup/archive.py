"""The backup archive, as pure functions (no Django imports): a tar file whose members are the database (a SQLite
file or the rows as JSON lines), the media files under ``media/``, and ``manifest.json`` last, naming every other
member with its size and SHA-256. Reading checks all of it before a caller writes anything.
"""

import hashlib
import io
import json
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.jsonl"}
MEDIA = "media/"
_CHUNK = 1 << 20


class ArchiveRefused(Exception):
    """The archive cannot be restored: a stable code and its parameters (translated by the caller)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def _sha256(stream: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class Writer:
    """Members are added one by one, each hashed as it is written; ``close`` adds the manifest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tar = tarfile.open(path, mode="w", format=tarfile.PAX_FORMAT)  # noqa: SIM115 (closed by close())
        self.members: dict[str, dict[str, Any]] = {}

    def add_bytes(self, name: str, data: bytes, mtime: float = 0) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(data), int(mtime), 0o640
        self.tar.addfile(info, io.BytesIO(data))
        self.members[name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def add_file(self, name: str, path: Path) -> None:
        with open(path, "rb") as source:
            digest, size = _sha256(source)
        info = self.tar.gettarinfo(str(path), arcname=name)
        info.mode, info.uid, info.gid, info.uname, info.gname = 0o640, 0, 0, "", ""
        with open(path, "rb") as source:
            self.tar.addfile(info, source)
        self.members[name] = {"bytes": size, "sha256": digest}

    def close(self, manifest: dict[str, Any]) -> dict[str, Any]:
        complete = {"format": FORMAT, **manifest, "members": self.members}
        self.add_bytes(MANIFEST, json.dumps(complete, ensure_ascii=False, indent=1, sort_keys=True).encode(),
                       mtime=time.time())
        self.tar.close()
        return complete

    def abandon(self) -> None:
        self.tar.close()
        self.path.unlink(missing_ok=True)


@dataclass
class Archive:
    """A checked archive: its manifest, and its members to read (every one matched its recorded hash)."""

    path: Path
    manifest: dict[str, Any]
    tar: tarfile.TarFile
    infos: dict[str, tarfile.TarInfo] = field(default_factory=dict)

    @property
    def vendor(self) -> str:
        return str(self.manifest["vendor"])

    @property
    def database_member(self) -> str:
        return DATABASE_MEMBERS[self.vendor]

    def media_names(self) -> list[str]:
        """The media files' names in the storage, in the archive's order."""
        return [name.removeprefix(MEDIA) for name in self.infos if name.startswith(MEDIA)]

    def open(self, name: str) -> IO[bytes]:
        stream = self.tar.extractfile(self.infos[name])
        assert stream is not None  # only regular files were accepted
        return stream

    def close(self) -> None:
        self.tar.close()


def _safe(name: str) -> bool:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name != str(path):
        return False
    return name in (MANIFEST, *DATABASE_MEMBERS.values()) or (name.startswith(MEDIA) and len(path.parts) > 1)


def read(path: Path) -> Archive:
    """Open and check the whole archive: readable to its end, a manifest of a known format, every member listed
    in it with the same size and SHA-256, none missing, none unlisted, the database member of its vendor.
    Raises ArchiveRefused naming the first problem."""
    try:
        tar = tarfile.open(path, mode="r:")  # noqa: SIM115 (the Archive closes it)
    except FileNotFoundError:
        raise ArchiveRefused("missing", path=str(path)) from None
    except (tarfile.TarError, OSError):
        raise ArchiveRefused("unreadable", path=str(path)) from None
    try:
        return _checked(path, tar)
    except BaseException:
        tar.close()
        raise


def _checked(path: Path, tar: tarfile.TarFile) -> Archive:
    found: dict[str, tuple[tarfile.TarInfo, str, int]] = {}
    manifest_bytes = None
    try:
        for info in tar:
            if not info.isfile() or not _safe(info.name):
                raise ArchiveRefused("unsafe_member", member=info.name)
            if info.name in found or (info.name == MANIFEST and manifest_bytes is not None):
                raise ArchiveRefused("duplicate_member", member=info.name)
            stream = tar.extractfile(info)
            assert stream is not None
            if info.name == MANIFEST:
                manifest_bytes = stream.read()
            else:
                found[info.name] = (info, *_sha256(stream))
    except (tarfile.TarError, EOFError, OSError):
        raise ArchiveRefused("truncated", path=str(path)) from None
    if manifest_bytes is None:
        raise ArchiveRefused("no_manifest")
    try:
        manifest = json.loads(manifest_bytes)
        members = manifest["members"]
        version = manifest["format"]
        vendor = manifest["vendor"]
    except (ValueError, KeyError, TypeError):
        raise ArchiveRefused("bad_manifest") from None
    if version != FORMAT:
        raise ArchiveRefused("format", found=version, expected=FORMAT)
    if vendor not in DATABASE_MEMBERS:
        raise ArchiveRefused("bad_manifest")
    for name, (_info, digest, size) in found.items():
        if name not in members:
            raise ArchiveRefused("unlisted_member", member=name)
        recorded = members[name]
        if recorded.get("sha256") != digest or recorded.get("bytes") != size:
            raise ArchiveRefused("altered_member", member=name)
    for name in members:
        if name not in found:
            raise ArchiveRefused("missing_member", member=name)
    if DATABASE_MEMBERS[vendor] not in found:
        raise ArchiveRefused("missing_member", member=DATABASE_MEMBERS[vendor])
    return Archive(path=path, manifest=manifest, tar=tar, infos={name: entry[0] for name, entry in found.items()})

