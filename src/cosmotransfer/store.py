"""The suite file format: one ``.npz`` per suite and tier, a JSON manifest beside it; hashing and
atomic writes for every stage that stores something.

A suite file holds, for ``n`` design points::

    params   (n, 10) float64   full parameter vectors, config.PARAM_NAMES order
    index    (n,)    int64     design index of each row (row i ↔ design point index[i])
    seeds    (n,)    int64     simulation seed of each row
    k        (79,)   float64   mode-averaged k of the bins [h/Mpc]
    pk       (n, 79) float32   matter power spectrum [(Mpc/h)^3]
    mpk      (n, 79) float32   marked power spectrum [(Mpc/h)^3]        (simulated tier only)
    derived_<name> (n,) float64  derived columns (simulated tier: derived_s8_fR, the linear σ8 of an f(R) cosmology)
    meta     0-d str           JSON: suite, tier, settings, config hash, code version, command

The manifest ``<suite>.json`` repeats ``meta`` and adds the file's sha256 and size, so a
shipped file can be checked without trusting its contents. Writes are atomic (temporary
file + rename): a killed process never leaves a half-written suite file behind.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import PARAM_NAMES

class DataFileError(RuntimeError):
    """A missing, corrupted or mismatched data file; the message names the fix."""


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def stable_hash(obj, length: int = 16) -> str:
    """Hash of a JSON-able object, independent of dict order (cache keys, config hashes)."""
    blob = json.dumps(obj, sort_keys=True, default=_json_default).encode()
    return hashlib.sha256(blob).hexdigest()[:length]


def code_hash(source: str, length: int = 12) -> str:
    """Hash of Python ``source``'s code: its syntax tree without docstrings, so that comments,
    docstrings and layout do not count — only what the code does (names included)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()[:length]


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON-serialisable: {type(o).__name__}")


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then rename onto ``path``; nothing is left on failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; the file is data, readable like any other
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_npz(path: Path, arrays: dict[str, np.ndarray], meta: dict) -> None:
    """Atomically write ``arrays`` plus ``meta`` (as JSON) to an uncompressed-deterministic npz."""

    def write(tmp: Path):
        # np.savez_compressed stamps no time into the zip members, so equal inputs give
        # equal bytes; the explicit file handle stops numpy appending '.npz' to tmp names.
        with open(tmp, "wb") as f:
            np.savez_compressed(f, meta=np.array(json.dumps(meta, sort_keys=True, default=_json_default)), **arrays)

    atomic_write(path, write)


def load_npz(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """Read a file written by :func:`save_npz`; clear error if it is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"data file {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays.pop("meta")))
    except Exception as e:  # zipfile.BadZipFile, ValueError, KeyError, json errors …
        raise DataFileError(f"data file {path} is corrupted ({type(e).__name__}: {e}); delete it and regenerate it") from e
    return arrays, meta


def array_hash(*arrays: np.ndarray, length: int = 16) -> str:
    """Hash of array contents (dtype, shape and bytes): names the data a network was trained on."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:length]


@dataclass
class SuiteData:
    """The summaries of one suite at one tier, as loaded from its file.

    ``stats`` maps a statistic name (``"pk"``, ``"mpk"``) to its (n, n_k) array;
    ``derived`` maps a derived-column name to its (n,) array.
    """

    suite: str
    tier: str
    params: np.ndarray
    index: np.ndarray
    seeds: np.ndarray
    k: np.ndarray
    stats: dict[str, np.ndarray]
    derived: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.params)

    def param(self, name: str) -> np.ndarray:
        """(n,) values of one parameter (derived value if one was stored, e.g. σ8 of f(R))."""
        return self.params[:, PARAM_NAMES.index(name)]

    def stat(self, name: str) -> np.ndarray:
        try:
            return self.stats[name]
        except KeyError:
            have = ", ".join(self.stats) or "none"
            raise DataFileError(
                f"suite {self.suite!r} ({self.tier} tier) has no statistic {name!r} (has: {have}); "
                "marked P(k) and PNG exist only in the simulated tier"
            ) from None

    def to_arrays(self) -> dict[str, np.ndarray]:
        out = {"params": self.params, "index": self.index, "seeds": self.seeds, "k": self.k}
        out.update(self.stats)
        out.update({f"derived_{k}": v for k, v in self.derived.items()})
        return out


STAT_NAMES = ("pk", "mpk")


def manifest_path(path: Path) -> Path:
    return Path(path).with_suffix(".json")


def write_suite(path: Path, data: SuiteData, extra_manifest: dict | None = None) -> dict:
    """Write the suite file and its manifest (both atomically). Returns the manifest."""
    save_npz(path, data.to_arrays(), data.meta)
    manifest = {
        "file": Path(path).name,
        "sha256": sha256_file(path),
        "bytes": Path(path).stat().st_size,
        "n": len(data),
        "statistics": sorted(data.stats),
        **data.meta,
        **(extra_manifest or {}),
    }
    atomic_write(manifest_path(path), lambda tmp: tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True, default=_json_default) + "\n"))
    return manifest


def read_manifest(path: Path) -> dict:
    mp = manifest_path(path)
    if not mp.is_file():
        raise DataFileError(f"manifest {mp} is missing; regenerate the suite with `cosmotransfer simulate`")
    return json.loads(mp.read_text())


#: Files this process has hashed and found to match their manifest, keyed by (path, size, mtime,
#: manifest sha256): a notebook loads the same suite many times, and hashing a 10 MB file each time
#: is the slowest part of a load. Any rewrite of the file or its manifest changes the key.
_VERIFIED: set[tuple[str, int, int, str]] = set()


def verify_suite_file(path: Path, recheck: bool = True) -> dict:
    """Check a suite file against its manifest's sha256; returns the manifest.

    ``recheck=False`` (the loaders) skips the hash when this process already verified the file
    with the same size, modification time and manifest; ``cosmotransfer verify`` always hashes.
    """
    manifest = read_manifest(path)
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"data file {path} does not exist; regenerate it with `cosmotransfer simulate`")
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, manifest["sha256"])
    if not recheck and key in _VERIFIED:
        return manifest
    digest = sha256_file(path)
    if digest != manifest["sha256"]:
        raise DataFileError(
            f"data file {path} does not match its manifest (sha256 {digest[:12]}… ≠ {manifest['sha256'][:12]}…); "
            "restore it with `git checkout -- data/` or regenerate it with `cosmotransfer simulate`"
        )
    _VERIFIED.add(key)
    return manifest


def read_suite(path: Path, verify: bool = True) -> SuiteData:
    """Load a suite file (checked against its manifest when ``verify``, hashed once per process
    while the file is unchanged: :func:`verify_suite_file`)."""
    if verify:
        verify_suite_file(path, recheck=False)
    arrays, meta = load_npz(path)
    try:
        return SuiteData(
            suite=meta["suite"],
            tier=meta["tier"],
            params=arrays.pop("params"),
            index=arrays.pop("index"),
            seeds=arrays.pop("seeds"),
            k=arrays.pop("k"),
            stats={s: arrays.pop(s) for s in STAT_NAMES if s in arrays},
            derived={k.removeprefix("derived_"): arrays.pop(k) for k in list(arrays) if k.startswith("derived_")},
            meta=meta,
        )
    except KeyError as e:
        raise DataFileError(f"data file {path} lacks {e}; it is not a suite file — regenerate it with `cosmotransfer simulate`") from None
