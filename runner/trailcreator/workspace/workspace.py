"""Per-DuckDB-file workspaces: the installed package stays read-only at run time.

The dbt project ships inside the package (``trailcreator.dbt_project``).  dbt needs a folder
it may write to (the compiled resource map, ``target/`` with its partial-parse state,
``logs/``), so each DuckDB file gets its own workspace, created on first use::

    ${TRAILCREATOR_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/trailcreator}/workspaces/<name>-<hash>/
        project/            a copy of the packaged dbt project (re-copied when the package changes),
                            with the compiled resource map in macros/generated/resource_map.sql
        resource_map.json   the map last compiled here (absent: the shipped default map)
        target/  logs/      dbt's
        checks/             maps already checked against Cloud Custodian's registry
        lock                held while a run uses the workspace (and so its DuckDB file)

``<hash>`` is taken from the DuckDB file's absolute path: loads on different databases share
nothing, and a second run on the same database is refused in one line while the first holds
the lock.  Every file is written under a temporary name and renamed into place; temporaries
left by a killed run are removed by the next one.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import TrailcreatorError
from ..mapping.resource_map import GENERATED_MACROS

PROJECT_PACKAGE = "trailcreator.dbt_project"
HASH_FILE = ".trailcreator-project-sha256"
# dbt's output and Python's caches, never part of the project's content
_NOT_PROJECT = ("target", "logs", "dbt_packages", "__pycache__", ".user.yml")

# NAME.tmp-PID (and NAME.tmp-PID-journal, SQLite's), NAME.old-PID
_TMP_RE = re.compile(r"\.(?:tmp|old)-(\d+)(?![0-9A-Za-z])")


def cache_root() -> Path:
    """Where workspaces live: TRAILCREATOR_CACHE_DIR, else $XDG_CACHE_HOME/trailcreator, else ~/.cache/trailcreator."""
    env = os.environ.get("TRAILCREATOR_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "trailcreator"


def packaged_project() -> Path:
    """The dbt project inside the installed package (read only)."""
    from importlib import resources

    try:
        path = Path(str(resources.files(PROJECT_PACKAGE)))
    except ModuleNotFoundError:
        # run from a checkout's runner/ folder without installing: the project beside it
        path = Path(__file__).resolve().parents[3] / "dbt_project"
        if not (path / "dbt_project.yml").is_file():
            raise TrailcreatorError(
                "the installed trailcreator has no dbt project (trailcreator.dbt_project): reinstall it "
                "(pip install trailcreator, or pip install -e . in a checkout)") from None
    if not (path / "dbt_project.yml").is_file():
        raise TrailcreatorError(f"the installed trailcreator's dbt project is incomplete: {path}/dbt_project.yml is missing; reinstall it")
    return path


def _project_files(root: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _NOT_PROJECT)
        for name in sorted(filenames):
            if name in _NOT_PROJECT or name.endswith(".pyc") or name == HASH_FILE:
                continue
            out.append(Path(dirpath) / name)
    return out


def project_sha256(root: Path) -> str:
    """A hash of the project's content (paths and bytes), dbt's output left out."""
    h = hashlib.sha256()
    for p in _project_files(root):
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    except OSError:
        return False
    return True


def remove_stale_temporaries(folder: Path, prefix: str = "") -> list[Path]:
    """Remove ``<prefix>*.tmp-PID*`` and ``*.old-PID`` files and folders in ``folder`` whose
    process is gone (a killed run's leftovers); return what was removed."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if not name.startswith(prefix):
            continue
        m = _TMP_RE.search(name)
        if not m:
            continue
        pid = int(m.group(1))
        if pid_alive(pid):
            continue
        path = Path(folder) / name
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass  # another run removed it first
        except OSError:
            continue
    return removed


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``path`` whole or not at all: a temporary beside it, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        if isinstance(data, str):
            data = data.encode()
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


# --- locks ---------------------------------------------------------------------------------

_held: dict[str, tuple[object, int]] = {}
_held_guard = threading.Lock()


def _try_lock(fh) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except OSError as e:  # a file system without locks: DuckDB's own lock still guards the file
        if e.errno in (errno.ENOLCK, errno.EOPNOTSUPP):
            return True
        raise


@dataclass(frozen=True)
class Workspace:
    root: Path
    duckdb_path: str  # absolute

    @classmethod
    def for_duckdb(cls, duckdb_path: str) -> "Workspace":
        path = os.path.realpath(os.path.abspath(os.path.expanduser(duckdb_path)))
        digest = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:12]
        name = re.sub(r"[^A-Za-z0-9._-]", "_", os.path.basename(path))[:60] or "duckdb"
        return cls(cache_root() / "workspaces" / f"{name}-{digest}", path)

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def profiles_dir(self) -> Path:
        return self.project

    @property
    def target(self) -> Path:
        return self.root / "target"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def checks(self) -> Path:
        return self.root / "checks"

    @property
    def map_copy(self) -> Path:
        return self.root / "resource_map.json"

    @property
    def generated_macros(self) -> Path:
        return self.project / GENERATED_MACROS

    def _mkroot(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise TrailcreatorError(
                f"cannot create the workspace {self.root} ({e.strerror}): set TRAILCREATOR_CACHE_DIR to a folder you can write"
            ) from None

    @contextlib.contextmanager
    def lock(self):
        """Hold the workspace (and so its DuckDB file) for this run; refuse in one line if another run holds it.

        Re-entrant within a process."""
        key = str(self.root)
        with _held_guard:
            if key in _held:
                fh, n = _held[key]
                _held[key] = (fh, n + 1)
                reentered = True
            else:
                reentered = False
        if reentered:
            try:
                yield self
            finally:
                with _held_guard:
                    fh, n = _held[key]
                    if n <= 1:
                        del _held[key]
                        fh.close()
                    else:
                        _held[key] = (fh, n - 1)
            return
        self._mkroot()
        fh = open(self.root / "lock", "a+")
        try:
            if not _try_lock(fh):
                fh.seek(0)
                holder = fh.read().strip()
                fh.close()
                who = f" (pid {holder})" if holder.isdigit() else ""
                raise TrailcreatorError(
                    f"the database {self.duckdb_path} is busy: another trailcreator run is using it{who}; "
                    "wait for it to finish")
            fh.seek(0)
            fh.truncate()
            fh.write(str(os.getpid()))
            fh.flush()
        except BaseException:
            if not fh.closed:
                fh.close()
            raise
        with _held_guard:
            _held[key] = (fh, 1)
        try:
            yield self
        finally:
            with _held_guard:
                entry = _held.pop(key, None)
            if entry is not None:
                entry[0].close()  # closing releases the lock

    def prepare(self) -> "Workspace":
        """Create the workspace, or bring its project copy up to date with the installed package."""
        self._mkroot()
        remove_stale_temporaries(self.root)
        remove_stale_temporaries(self.generated_macros.parent)
        src = packaged_project()
        digest = project_sha256(src)
        stamp = self.project / HASH_FILE
        try:
            if stamp.read_text().strip() == digest:
                return self
        except OSError:
            pass
        pid = os.getpid()
        tmp = self.root / f"project.tmp-{pid}"
        old = self.root / f"project.old-{pid}"
        if tmp.exists():
            shutil.rmtree(tmp)
        shutil.copytree(src, tmp, ignore=shutil.ignore_patterns(*_NOT_PROJECT, "*.pyc", HASH_FILE))
        (tmp / HASH_FILE).write_text(digest + "\n")  # last: a copy cut short never looks complete
        if self.project.exists():
            os.replace(self.project, old)
        os.replace(tmp, self.project)
        shutil.rmtree(old, ignore_errors=True)
        # dbt's partial-parse state describes the old copy; let dbt parse it afresh
        with contextlib.suppress(FileNotFoundError):
            (self.target / "partial_parse.msgpack").unlink()
        return self

    def dbt_paths(self) -> list[str]:
        """The dbt flags that put every read and write of a dbt command in this workspace."""
        return [
            "--project-dir", str(self.project),
            "--profiles-dir", str(self.profiles_dir),
            "--target-path", str(self.target),
            "--log-path", str(self.logs),
        ]
