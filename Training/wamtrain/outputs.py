"""The files a run writes next to `--out NAME.onnx`: made in a scratch folder beside them, then
moved into place together at the end; earlier outputs are replaced only with --force, and a
NAME.test folder only when wamtrain wrote it. A failed or interrupted run leaves the folder as it
found it."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .dataset import DatasetError

# Marks a test-window folder as wamtrain's own.
TEST_FOLDER_MARK = ".wamtrain-test-windows"
# The model last: a model that appears has its labels beside it.
FILE_SUFFIXES = (".labels.json", ".metrics.json", ".md", ".onnx")


class Outputs:
    def __init__(self, out: Path):
        self.folder = out.parent
        self.name = out.stem          # "door.v2.onnx" -> "door.v2"
        self.scratch: Path | None = None
        self._created: list[Path] = []

    def path(self, suffix: str) -> Path:
        return self.folder / f"{self.name}{suffix}"

    @property
    def test_folder(self) -> Path:
        return self.path(".test")

    def check(self, force: bool) -> None:
        """Refuses outputs in the way: a folder where a file goes, a NAME.test that is not
        wamtrain's, and (without force) any earlier output."""
        if self.folder.exists() and not self.folder.is_dir():
            raise DatasetError(f"{self.folder}: is not a folder (the folder of --out)")
        for suffix in FILE_SUFFIXES:
            if self.path(suffix).is_dir():
                raise DatasetError(f"{self.path(suffix)}: is a folder; the output file cannot go there")
        test = self.test_folder
        if test.exists() and not (test.is_dir() and (test / TEST_FOLDER_MARK).is_file()):
            raise DatasetError(f"{test}: exists and was not written by wamtrain; move it away or choose another --out")
        if not force:
            existing = [p for p in [self.path(s) for s in FILE_SUFFIXES] + [test] if p.exists() or p.is_symlink()]
            if existing:
                raise DatasetError(f"{existing[0]}: exists; pass --force to replace the outputs of an earlier run")

    def prepare(self) -> Path:
        """Creates the folder (and its missing parents) and the scratch folder in it, before any
        training, so that a folder that cannot be written is said at once."""
        missing = []
        parent = self.folder
        while not parent.exists():
            missing.append(parent)
            parent = parent.parent
        try:
            for folder in reversed(missing):
                folder.mkdir()
                self._created.append(folder)
            self.scratch = Path(tempfile.mkdtemp(prefix=f".{self.name}.", dir=self.folder))
        except OSError as error:
            self.discard()
            raise DatasetError(f"{error.filename or self.folder}: cannot write the outputs here ({error.strerror})") from None
        return self.scratch

    def discard(self) -> None:
        """Removes the scratch folder and the folders prepare created (when still empty)."""
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None
        for folder in reversed(self._created):
            try:
                folder.rmdir()
            except OSError:
                break
        self._created = []

    def install(self, force: bool) -> None:
        """Moves the finished outputs from the scratch folder into place, each by one rename; the
        replaced ones wait in the scratch folder until all are in, and come back on a failure."""
        assert self.scratch is not None
        self.check(force)
        moved: list[tuple[Path, Path | None]] = []     # (target, where the replaced one waits)
        try:
            for suffix in (".test",) + FILE_SUFFIXES:
                target = self.path(suffix)
                kept = None
                if target.exists() or target.is_symlink():
                    kept = self.scratch / f"replaced{suffix}"
                    os.replace(target, kept)
                moved.append((target, kept))
                os.replace(self.scratch / f"{self.name}{suffix}", target)
        except OSError as error:
            for target, kept in reversed(moved):
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target, ignore_errors=True)
                elif target.exists() or target.is_symlink():
                    target.unlink()
                if kept is not None:
                    os.replace(kept, target)
            raise DatasetError(f"{error.filename or self.folder}: cannot move the outputs into place ({error.strerror}); "
                               "the earlier ones are as they were") from None
        self._created = []


def write_test_windows(folder: Path, x: np.ndarray, y: np.ndarray, classes: list[str], rate: int) -> None:
    """The test windows as 16-bit WAV files, one folder per class: `wam eval --data` reads them."""
    import soundfile

    folder.mkdir()
    (folder / TEST_FOLDER_MARK).write_text("Held-out test windows written by wamtrain; --force replaces this folder.\n")
    for c, label in enumerate(classes):
        (folder / label).mkdir()
        for i, window in enumerate(x[y == c]):
            soundfile.write(str(folder / label / f"{i:04d}.wav"), np.clip(window, -1, 1), rate, subtype="PCM_16")
