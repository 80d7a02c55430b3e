"""wamtrain: from a folder of labelled recordings to an ONNX model that wam and wamd run.

    python -m wamtrain --data DIR --out models/NAME.onnx

DIR holds one folder per class (any format, rate and channel count soundfile reads), or is a CSV
of `path,label[,group]` rows. Writes NAME.onnx, NAME.labels.json, the model card NAME.md, the
numbers behind it NAME.metrics.json, and the held-out test windows NAME.test/<class>/*.wav.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import os
import platform
import signal
import sys
from pathlib import Path

import numpy as np

from .dataset import (DatasetError, WindowSettings, check_classes, check_label, discover, discover_background,
                      load_windows, split_by_group)
from .presets import MIN_WINDOW, PRESETS
from .outputs import Outputs, write_test_windows


class Arguments(argparse.ArgumentParser):
    """argparse whose mistakes are one `wamtrain: error:` line like every other."""

    def error(self, message: str):
        raise DatasetError(f"{message} (python -m wamtrain --help lists the options)")


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    ap = Arguments(prog="python -m wamtrain", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, type=Path, help="a folder per class, or a CSV of path,label[,group]")
    ap.add_argument("--out", required=True, type=Path, help="the model to write, NAME.onnx")
    ap.add_argument("--background", type=Path, help="a folder of unlabelled recordings mixed into training windows")
    ap.add_argument("--background-class", nargs="?", const="background", default=None, metavar="NAME",
                    help="also learn the background recordings as a class (default name: background)")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="small",
                    help="model size: tiny, small (default) or base (the bundled model's)")
    ap.add_argument("--rate", type=int, default=16000, help="the model's sample rate in Hz (default 16000)")
    ap.add_argument("--window", type=float, default=1.0, help="window length in seconds (default 1)")
    ap.add_argument("--hop", type=float, default=None, help="seconds between windows of long recordings (default: half a window)")
    ap.add_argument("--segment", type=float, default=10.0,
                    help="recordings longer than this many seconds are cut into independent segments for the split (default 10)")
    ap.add_argument("--min-dbfs", type=float, default=-60.0, help="leave out windows quieter than this RMS level (default -60)")
    ap.add_argument("--validation", type=float, default=0.15, help="share of each class's windows for early stopping")
    ap.add_argument("--test", type=float, default=0.15, help="share of each class's windows for the card's numbers")
    ap.add_argument("--epochs", type=int, default=60, help="at most this many epochs (default 60)")
    ap.add_argument("--patience", type=int, default=8, help="stop after this many epochs without improvement (default 8)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=None, help="batches per epoch (default: training windows / batch, at least 8)")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--noise", type=float, default=0.5, help="share of training windows given white noise at 0-30 dB SNR")
    ap.add_argument("--mix", type=float, default=0.5, help="share mixed with a background window at 0-20 dB SNR")
    ap.add_argument("--stretch", type=float, default=0.0, help="speed change up to +-this fraction (e.g. 0.1; changes pitch too)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=min(4, os.cpu_count() or 1), help="PyTorch threads (part of what the seed reproduces)")
    ap.add_argument("--wam", help="the wam binary that checks the exported model (default: wam on the PATH, then this repository's build)")
    ap.add_argument("--force", action="store_true", help="replace the outputs of an earlier run")
    args = ap.parse_args(argv)
    _check(args)
    return args


def _check(args: argparse.Namespace) -> None:
    def need(ok: bool, message: str) -> None:
        if not ok:
            raise DatasetError(message)

    numbers = ("rate", "window", "hop", "segment", "min_dbfs", "validation", "test", "lr", "noise", "mix", "stretch")
    for option in numbers:
        value = getattr(args, option)
        need(value is None or math.isfinite(value), f"--{option.replace('_', '-')} {value}: expected a finite number")
    need(args.out.suffix == ".onnx" and args.out.stem != "", f"--out {args.out}: expected a file name ending in .onnx")
    need(8000 <= args.rate <= 192000, f"--rate {args.rate}: expected 8000 to 192000 Hz")
    need(args.window * args.rate >= MIN_WINDOW and args.window <= 30,
         f"--window {args.window:g}: expected {MIN_WINDOW / args.rate:.3g} to 30 seconds at {args.rate} Hz")
    if args.hop is None:
        args.hop = args.window / 2
    need(args.window / 16 <= args.hop <= args.window,
         f"--hop {args.hop:g}: expected a sixteenth of the window ({args.window / 16:g} s) to the window ({args.window:g} s)")
    need(2 * args.window <= args.segment <= 24 * 3600,
         f"--segment {args.segment:g}: expected at least two windows ({2 * args.window:g} s) and at most a day")
    need(0 < args.validation < 0.5 and 0 < args.test < 0.5 and args.validation + args.test < 0.8,
         "--validation and --test: expected shares between 0 and 0.5 that leave at least 20 % for training")
    need(1 <= args.epochs <= 10000 and 1 <= args.patience, "--epochs and --patience: expected positive numbers")
    need(1 <= args.batch <= 4096 and (args.steps is None or 1 <= args.steps <= 1_000_000),
         "--batch and --steps: expected positive numbers (batch at most 4096)")
    need(0 < args.lr < 1, f"--lr {args.lr:g}: expected a learning rate between 0 and 1")
    need(0 <= args.noise <= 1 and 0 <= args.mix <= 1, "--noise and --mix: expected shares between 0 and 1")
    need(0 <= args.stretch < 0.5, f"--stretch {args.stretch:g}: expected 0 to 0.5")
    need(1 <= args.threads <= 256, f"--threads {args.threads}: expected 1 to 256")
    need(0 <= args.seed < 2 ** 32, f"--seed {args.seed}: expected 0 to 4294967295")
    need(-200 < args.min_dbfs < 0, f"--min-dbfs {args.min_dbfs:g}: expected a level below 0 dBFS")
    need(args.background_class is None or args.background is not None, "--background-class needs --background DIR")
    if args.background_class is not None:
        check_label(args.background_class, "--background-class")
    if args.wam is not None:
        need(Path(args.wam).is_file() and os.access(args.wam, os.X_OK), f"--wam {args.wam}: not an executable file")
    Outputs(args.out).check(args.force)


class Progress:
    """Progress bars (tqdm, on a terminal) and one line per step and epoch (always)."""

    def __init__(self):
        from tqdm import tqdm
        self.tqdm = tqdm
        self.max_epochs = 0

    def files(self, items, what: str):
        return self.tqdm(items, desc=what, unit="file", disable=None, leave=False)

    def batches(self, steps: int, epoch: int):
        return self.tqdm(range(steps), desc=f"epoch {epoch}", unit="batch", disable=None, leave=False)

    def __call__(self, entry: dict) -> None:
        mark = "  (best)" if entry.get("best") else ""
        say(f"epoch {entry['epoch']}: loss {entry['loss']:.3f}, training accuracy {entry['train_accuracy']:.3f}, "
            f"validation loss {entry['validation_loss']:.3f}, balanced accuracy {entry['validation_balanced_accuracy']:.3f}"
            f" [{entry['seconds']:.0f} s]{mark}")


def say(message: str) -> None:
    print(message, flush=True)


def run(args: argparse.Namespace) -> None:
    outputs = Outputs(args.out)
    scratch = outputs.prepare()
    try:
        write(args, outputs, train_model(args, Progress()), scratch)
    finally:
        outputs.discard()


def train_model(args: argparse.Namespace, progress: Progress) -> dict:
    """Reads the data, trains, and evaluates on the test split; what write() needs."""
    settings = WindowSettings(rate=args.rate, length=int(round(args.window * args.rate)),
                              hop=max(1, int(round(args.hop * args.rate))), min_dbfs=args.min_dbfs,
                              segment=int(round(args.segment * args.rate)))

    recordings = discover(args.data)
    background = discover_background(args.background) if args.background else []
    extra = [args.background_class] if args.background_class else []
    classes = check_classes(recordings, extra)
    if args.background_class and args.background_class in {r.label for r in recordings}:
        raise DatasetError(f"--background-class '{args.background_class}' is also a class of {args.data}; "
                           "choose another name or leave out one of them")
    labelled = recordings + ([dataclasses.replace(r, label=args.background_class) for r in background] if extra else [])
    say(f"reading {len(labelled)} recordings of {len(classes)} classes ({', '.join(classes)})")
    windows = load_windows(labelled, classes, settings, progress=lambda items: progress.files(items, "reading"))
    split = split_by_group(windows, classes, (args.validation, args.test), args.seed)
    x, y = windows.x, windows.labels
    part = {side: (x[split == i], y[split == i]) for i, side in enumerate(("train", "validation", "test"))}
    pool = None
    if background:
        if extra:   # the class's training windows only: test windows stay unheard
            pool = part["train"][0][part["train"][1] == classes.index(args.background_class)]
        else:
            pool = load_windows(background, classes, settings, progress=lambda items: progress.files(items, "background")).x
            if len(pool) == 0:
                raise DatasetError(f"{args.background}: every background window is silent (RMS below {args.min_dbfs:g} dBFS)")
    say(f"{len(x)} windows of {args.window:g} s: {len(part['train'][0])} training, {len(part['validation'][0])} "
        f"validation, {len(part['test'][0])} test ({windows.skipped_silent} silent ones left out)")

    # PyTorch is imported once the data is read: a mistake in the data is said in a moment.
    import torch

    from .augment import Augmentation, with_white_noise
    from .network import AudioResNet, count_params
    from .report import CONDITIONS, accuracy
    from .train import TrainSettings, predict, train

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    model = AudioResNet(len(classes), PRESETS[args.preset])
    augmentation = Augmentation(noise_probability=args.noise, mix_probability=args.mix if pool is not None else 0.0,
                                stretch=args.stretch)
    train_settings = TrainSettings(epochs=args.epochs, patience=args.patience, batch=args.batch, lr=args.lr,
                                   seed=args.seed, steps_per_epoch=args.steps)
    say(f"training the {args.preset} ResNet ({count_params(model):,} parameters) on {args.threads} threads")
    model, log = train(model, *part["train"], *part["validation"], len(classes), train_settings, augmentation, pool, progress)

    x_test, y_test = part["test"]
    conditions = {"clean": x_test, "10dB": with_white_noise(x_test, 10.0, args.seed),
                  "0dB": with_white_noise(x_test, 0.0, args.seed)}
    logits = {c: predict(model, v) for c, v in conditions.items()}
    scores = {c: accuracy(logits[c], y_test, classes) for c in CONDITIONS}

    return {"classes": classes, "windows": windows, "part": part, "background": background, "model": model,
            "log": log, "logits": logits, "scores": scores, "augmentation": augmentation, "settings": settings,
            "train_settings": train_settings}


def write(args: argparse.Namespace, outputs: Outputs, t: dict, scratch: Path) -> None:
    """Exports and checks the model, writes the card and test windows into the scratch folder,
    then moves them into place."""
    import torch

    from .network import count_params, export_onnx
    from .report import card
    from .verify import WamRunError, find_wam, onnxruntime_difference, wam_difference

    classes, windows, part, logits, log = t["classes"], t["windows"], t["part"], t["logits"], t["log"]
    x_test, y_test = part["test"]
    name = outputs.name
    try:
        onnx_path = scratch / f"{name}.onnx"
        export_onnx(t["model"], torch.from_numpy(x_test[:2, None]), onnx_path, input_name="waveform")
        verification = {"onnxruntime": onnxruntime_difference(onnx_path, x_test, logits["clean"])}
        if verification["onnxruntime"] > 1e-3:
            raise DatasetError(f"onnxruntime and PyTorch disagree on the exported model by {verification['onnxruntime']:.2e}")
        wam = find_wam(args.wam)
        if wam is None:
            verification["wam"] = "not checked: no wam binary found (pass --wam PATH)"
            say("warning: wam not found, so the model was not checked with wam's engine (pass --wam PATH)")
        else:
            try:
                difference = wam_difference(wam, onnx_path, x_test, logits["clean"])
            except WamRunError as error:
                raise DatasetError(str(error)) from None
            verification["wam"] = f"max |logit difference| {difference:.2e} ({wam})"
            if difference > 1e-3:
                raise DatasetError(f"wam's engine ({wam}) and PyTorch disagree on the exported model by {difference:.2e} "
                                   "(expected at most 1e-3); please report this with the model")
        write_test_windows(scratch / f"{name}.test", x_test, y_test, classes, args.rate)

        best = [entry for entry in log if entry.get("best")][-1]
        summary = {c: {"files": windows.files_by_label.get(c, 0), "seconds": windows.seconds_by_label.get(c, 0.0),
                       **{side: int(np.sum(part[side][1] == i)) for side in part}} for i, c in enumerate(classes)}
        ts = t["train_settings"]
        metrics = {
            "name": name, "onnx": str(args.out), "onnx_sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
            "test_folder": str(outputs.test_folder), "data": str(args.data), "classes": classes,
            "preset": args.preset, "parameters": count_params(t["model"]), "rate": args.rate,
            "window": t["settings"].length, "window_seconds": args.window, "hop_seconds": args.hop,
            "segment_seconds": args.segment, "min_dbfs": args.min_dbfs, "skipped_silent": windows.skipped_silent,
            "background": (f"{len(t['background'])} recordings from {args.background}, "
                           + (f"learnt as the class '{args.background_class}' and " if args.background_class else "")
                           + "mixed into training windows") if t["background"] else None,
            "windows": {side: int(len(part[side][0])) for side in part},
            "test_windows_per_class": {c: int(np.sum(y_test == i)) for i, c in enumerate(classes)},
            "data_summary": summary,
            "majority_accuracy": float(np.max(np.bincount(y_test, minlength=len(classes))) / len(y_test)),
            "accuracy": t["scores"],
            "training": {"max_epochs": args.epochs, "epochs_run": len(log), "patience": args.patience,
                         "best_epoch": best["epoch"], "best_validation_balanced_accuracy": best["validation_balanced_accuracy"],
                         "batch": args.batch, "steps_per_epoch": ts.steps_per_epoch or max(8, len(part["train"][0]) // args.batch),
                         "lr": args.lr, "weight_decay": ts.weight_decay, "augmentation": t["augmentation"].describe(),
                         "seed": args.seed, "threads": args.threads, "seconds": log[-1]["seconds"], "log": log},
            "verification": verification,
            "versions": {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version()},
        }
        (scratch / f"{name}.metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
        (scratch / f"{name}.md").write_text(card(metrics))
        (scratch / f"{name}.labels.json").write_text(json.dumps(classes, indent=2) + "\n")
    except (OSError, RuntimeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise DatasetError(f"{outputs.folder}: cannot write the outputs ({reason}); nothing was changed") from None
    outputs.install(args.force)
    scores = t["scores"]
    clean = scores["clean"]
    say(f"wrote {args.out}: test accuracy {clean['overall']:.3f} (balanced {clean['balanced']:.3f}; "
        f"10 dB {scores['10dB']['overall']:.3f}, 0 dB {scores['0dB']['overall']:.3f}), "
        f"most common class alone {metrics['majority_accuracy']:.3f}; card {outputs.path('.md')}")


def interrupted(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    # A stop (systemd, timeout, kill) cleans up like Ctrl-C: the scratch folder goes, the wam child is killed.
    signal.signal(signal.SIGTERM, interrupted)
    try:
        run(parse_arguments(sys.argv[1:] if argv is None else argv))
    except DatasetError as error:
        print(f"wamtrain: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("wamtrain: interrupted; nothing was changed", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
