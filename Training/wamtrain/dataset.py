"""Labelled recordings to model windows: discovery (a folder per class, or a CSV of
`path,label[,group]`), decoding (soundfile), resampling (soxr), windowing, and the split by group.

Every mistake in a dataset raises DatasetError with a message that names the file, row or class
and says what was expected; the command prints it without a traceback.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile
import soxr


class DatasetError(Exception):
    """A dataset or setting the user can fix; the message says what and where."""


@dataclass
class Recording:
    path: Path
    label: str | None      # None: background (unlabelled)
    group: str             # recordings of one group never land on both sides of a split


@dataclass
class Windows:
    """Windows cut from recordings: x [N, samples] float32, labels [N], groups [N] (group ids)."""
    x: np.ndarray
    labels: np.ndarray
    groups: np.ndarray
    group_names: list[str]
    skipped_silent: int = 0
    seconds_by_label: dict[str, float] = field(default_factory=dict)
    files_by_label: dict[str, int] = field(default_factory=dict)


@dataclass
class WindowSettings:
    rate: int               # the model's sample rate
    length: int             # window length in samples
    hop: int                # between window starts in long recordings
    min_dbfs: float         # windows quieter than this (RMS) are left out
    segment: int            # long recordings are cut into independent groups of this many samples


def check_label(label: str, where: str) -> None:
    """Refuses a class name that cannot be a folder name of its own (the test windows and `wam
    dataset add` keep a folder per class): empty, with `/` or `\\`, starting with `.`, with
    control characters or surrounding spaces, over 100 characters or 255 bytes."""
    if (not label or label != label.strip() or label.startswith(".") or "/" in label or "\\" in label
            or any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in label)
            or len(label) > 100 or len(label.encode()) > 255):
        raise DatasetError(f"{where}: the class name {label!r} cannot be a folder name; expected 1 to 100 characters, "
                           "no '/' or '\\', no control characters, no surrounding spaces, not starting with '.'")


def _visible_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def discover(data: Path) -> list[Recording]:
    """The labelled recordings of `data`: a folder with one subfolder per class (files below it,
    at any depth, hidden ones ignored), or a CSV of `path,label[,group]` (paths relative to it)."""
    if not data.exists():
        raise DatasetError(f"{data}: no such file or folder; expected a folder with one subfolder per class, "
                           "or a CSV of path,label[,group] rows")
    if data.is_dir():
        return _discover_folder(data)
    if not data.is_file():
        raise DatasetError(f"{data}: is neither a folder nor a regular file; expected a folder with one subfolder "
                           "per class, or a CSV of path,label[,group] rows")
    return _discover_csv(data)


def _discover_folder(data: Path) -> list[Recording]:
    classes = sorted(p for p in data.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DatasetError(f"{data}: holds no class folders; expected one subfolder per class "
                           f"(e.g. {data}/door/*.wav, {data}/dog/*.wav)")
    recordings = []
    for folder in classes:
        check_label(folder.name, str(folder))
        files = _visible_files(folder)
        if not files:
            raise DatasetError(f"{folder}: the class '{folder.name}' holds no files; add recordings or remove the folder")
        recordings += [Recording(path=f, label=folder.name, group=str(f)) for f in files]
    return recordings


def _discover_csv(data: Path) -> list[Recording]:
    try:
        text = data.read_bytes().decode("utf-8-sig")    # spreadsheets often start with a byte-order mark
    except UnicodeDecodeError:
        raise DatasetError(f"{data}: is not UTF-8 text; expected a folder of class folders or a CSV of "
                           "path,label[,group] rows") from None
    except OSError as error:
        raise DatasetError(f"{data}: cannot be read ({error.strerror})") from None
    if "\0" in text:
        raise DatasetError(f"{data}: holds a NUL character; expected a CSV of path,label[,group] rows")
    recordings = []
    seen: dict[Path, int] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        fields = [f.strip() for f in row]
        if not fields or all(not f for f in fields):
            continue
        if not recordings and not seen and fields[0].lower() in ("path", "file") and len(fields) > 1 and fields[1].lower() == "label":
            continue
        if len(fields) < 2 or not fields[0] or not fields[1]:
            raise DatasetError(f"{data}:{number}: expected path,label[,group], got '{','.join(row)}'")
        check_label(fields[1], f"{data}:{number}")
        path = (data.parent / fields[0]).resolve() if not Path(fields[0]).is_absolute() else Path(fields[0]).resolve()
        if not path.exists():
            raise DatasetError(f"{data}:{number}: {fields[0]}: no such file")
        if not path.is_file():
            raise DatasetError(f"{data}:{number}: {fields[0]}: is not a regular file")
        if path in seen:
            raise DatasetError(f"{data}:{number}: {fields[0]} is listed already on line {seen[path]}; "
                               "a recording is one example of one class")
        seen[path] = number
        group = fields[2] if len(fields) > 2 and fields[2] else str(path)
        recordings.append(Recording(path=path, label=fields[1], group=group))
    if not recordings:
        raise DatasetError(f"{data}: holds no rows; expected path,label[,group] rows")
    return recordings


def discover_background(folder: Path) -> list[Recording]:
    if not folder.is_dir():
        raise DatasetError(f"{folder}: no such folder (--background takes a folder of unlabelled recordings)")
    files = _visible_files(folder)
    if not files:
        raise DatasetError(f"{folder}: the background folder holds no files")
    return [Recording(path=f, label=None, group="background:" + str(f)) for f in files]


def check_classes(recordings: list[Recording], extra: list[str]) -> list[str]:
    """The class names (sorted), refusing a dataset of fewer than two."""
    classes = sorted({r.label for r in recordings if r.label is not None} | set(extra))
    folded: dict[str, str] = {}
    for c in classes:
        if c.casefold() in folded:
            raise DatasetError(f"the classes '{folded[c.casefold()]}' and '{c}' differ only in case; "
                               "name them apart (their folders would be one on some file systems)")
        folded[c.casefold()] = c
    if len(classes) < 2:
        only = f"only '{classes[0]}'" if classes else "none"
        raise DatasetError(f"a classifier needs at least two classes; the dataset has {only}. Add a folder per "
                           "class, or unlabelled recordings with --background DIR --background-class")
    return classes


def read_audio(path: Path, rate: int) -> np.ndarray:
    """The recording as mono float32 at `rate` (channels averaged, soxr's high quality)."""
    try:
        x, file_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
        reason = getattr(error, "error_string", None) or str(error)
        raise DatasetError(f"{path}: cannot be read as audio ({reason})") from None
    if x.shape[0] == 0:
        raise DatasetError(f"{path}: holds no samples")
    x = x.mean(axis=1)
    if not np.all(np.isfinite(x)):
        raise DatasetError(f"{path}: holds samples that are not finite numbers (NaN or infinity)")
    if file_rate != rate:
        x = soxr.resample(x, file_rate, rate, quality="HQ").astype(np.float32)
    return x


def dbfs(x: np.ndarray) -> float:
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    return 20 * np.log10(rms) if rms > 0 else -np.inf


def cut(x: np.ndarray, settings: WindowSettings) -> list[tuple[int, np.ndarray]]:
    """(segment index, window) pairs: a recording up to one window long gives one window, centred
    in zeros; a longer one gives windows every hop within each segment, the last one of a
    segment kept (zero-padded) when it covers at least half a window."""
    n = settings.length
    if len(x) <= n:
        window = np.zeros(n, np.float32)
        start = (n - len(x)) // 2
        window[start:start + len(x)] = x
        return [(0, window)]
    windows = []
    for index, begin in enumerate(range(0, len(x), settings.segment)):
        segment = x[begin:begin + settings.segment]
        if index > 0 and len(segment) < n // 2:
            break
        for start in range(0, max(len(segment) - n // 2, 1), settings.hop):
            piece = segment[start:start + n]
            if len(piece) < n:
                piece = np.pad(piece, (0, n - len(piece)))
            windows.append((index, piece.astype(np.float32)))
            if start + n >= len(segment):
                break
    return windows


def load_windows(recordings: list[Recording], classes: list[str], settings: WindowSettings,
                 background_label: str | None = None, progress=None) -> Windows:
    """Every recording read, resampled and cut into windows; silent windows are left out. A
    recording longer than one segment is several groups (#0, #1, ...), so a split never puts
    windows of the same stretch of sound on both sides. Raises when a class is left with none."""
    index = {c: i for i, c in enumerate(classes)}
    xs, labels, groups = [], [], []
    group_ids: dict[str, int] = {}
    skipped = 0
    seconds: dict[str, float] = {}
    files: dict[str, int] = {}
    iterator = progress(recordings) if progress else recordings
    for recording in iterator:
        label = recording.label if recording.label is not None else background_label
        audio = read_audio(recording.path, settings.rate)
        name = label if label is not None else "(background)"
        seconds[name] = seconds.get(name, 0.0) + len(audio) / settings.rate
        files[name] = files.get(name, 0) + 1
        for segment, window in cut(audio, settings):
            if dbfs(window) < settings.min_dbfs:
                skipped += 1
                continue
            key = recording.group if segment == 0 else f"{recording.group}#{segment}"
            xs.append(window)
            labels.append(index[label] if label is not None else -1)
            groups.append(group_ids.setdefault(key, len(group_ids)))
    result = Windows(x=np.stack(xs) if xs else np.zeros((0, settings.length), np.float32),
                     labels=np.asarray(labels, np.int64), groups=np.asarray(groups, np.int64),
                     group_names=list(group_ids), skipped_silent=skipped, seconds_by_label=seconds,
                     files_by_label=files)
    for label in {r.label for r in recordings if r.label is not None} | ({background_label} if background_label else set()):
        if not np.any(result.labels == index[label]):
            raise DatasetError(f"every window of class '{label}' is silent (RMS below {settings.min_dbfs:g} dBFS); "
                               "check the recordings, or lower --min-dbfs")
    return result


def split_by_group(windows: Windows, classes: list[str], fractions: tuple[float, float], seed: int) -> np.ndarray:
    """Split ids per window (0 train, 1 validation, 2 test): whole groups go to one side. Each
    class's groups (by the class most of a group's windows have) are shuffled; the first goes to
    the test split, the second to validation, and each further one to the split furthest below
    its share of that class's windows. Raises when a class has fewer than three groups."""
    rng = np.random.default_rng([seed, 1])
    split = np.zeros(len(windows.labels), np.int64)
    shares = np.array([1 - sum(fractions), fractions[0], fractions[1]])
    ids, inverse = np.unique(windows.groups, return_inverse=True)
    sizes = np.bincount(inverse)
    majority = [int(np.bincount(windows.labels[inverse == i], minlength=len(classes)).argmax()) for i in range(len(ids))]
    for c, name in enumerate(classes):
        members = [i for i in range(len(ids)) if majority[i] == c]
        if len(members) < 3:
            raise DatasetError(
                f"class '{name}' has {len(members)} recording{'s' if len(members) != 1 else ''} (or segments of "
                "long ones); the split by recording needs at least 3 per class (training, validation, test). "
                "Add recordings, or cut long ones into more independent segments with a shorter --segment")
        members = [members[i] for i in rng.permutation(len(members))]
        counts = np.zeros(3)
        total = sizes[members].sum()
        for position, i in enumerate(members):
            side = 2 if position == 0 else 1 if position == 1 else int(np.argmax(shares * total - counts))
            split[inverse == i] = side
            counts[side] += sizes[i]
    return split
