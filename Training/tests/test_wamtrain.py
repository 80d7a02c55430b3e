"""wamtrain end to end on a dataset the tests make (Training/tests/sounds.py): training, the card,
the exported model in wam (model info, explain, eval), reproducibility, and every dataset mistake
a user can make, each a clear error without a traceback.

    WAM=.build/debug/wam python -m unittest discover -s Training/tests   # bash Training/tests/run.sh
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
import soundfile

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from sounds import CLASSES, make_dataset  # noqa: E402
from wamtrain.dataset import Windows, WindowSettings, cut, split_by_group  # noqa: E402

REPOSITORY = HERE.parents[1]
WAM = os.environ.get("WAM", str(REPOSITORY / ".build/debug/wam"))
WAMD = os.environ.get("WAMD", str(Path(WAM).with_name("wamd")))
# Small and quick: the tiny preset, a few batches.
QUICK = ["--preset", "tiny", "--threads", "2", "--batch", "16"]


def wamtrain(*arguments: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    return subprocess.run([sys.executable, "-m", "wamtrain", *arguments], capture_output=True, text=True, env=env)


def wam(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([WAM, *arguments], capture_output=True, text=True)


class Scratch(unittest.TestCase):
    def setUp(self):
        self._folder = tempfile.TemporaryDirectory(prefix="wamtrain-test-")
        self.root = Path(self._folder.name)

    def tearDown(self):
        self._folder.cleanup()


class TrainAndUse(Scratch):
    """Three classes of generated sounds, trained briefly, then loaded, explained and evaluated by wam."""

    def test_trains_a_model_that_wam_runs_explains_and_evaluates(self):
        data = make_dataset(self.root / "data", files_per_class=5, seconds=3.0)
        out = self.root / "models" / "sounds.onnx"
        run = wamtrain("--data", str(data), "--out", str(out), "--epochs", "4", "--steps", "8", "--wam", WAM, *QUICK)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertNotIn("Traceback", run.stderr)

        labels = json.loads(out.with_suffix(".labels.json").read_text())
        self.assertEqual(labels, sorted(CLASSES))
        metrics = json.loads(out.with_suffix(".metrics.json").read_text())
        self.assertTrue(metrics["verification"]["wam"].startswith("max |logit difference|"), metrics["verification"])
        self.assertLessEqual(metrics["verification"]["onnxruntime"], 1e-4)
        # The generated classes are easy: well above chance after a few dozen batches.
        self.assertGreaterEqual(metrics["accuracy"]["clean"]["overall"], 0.8, metrics["accuracy"]["clean"])
        self.assertEqual(sum(metrics["windows"].values()), sum(s["train"] + s["validation"] + s["test"]
                                                               for s in metrics["data_summary"].values()))
        card = out.with_suffix(".md").read_text()
        for expected in ("## How good is it", "10 dB noise", "Confusion matrix", "most common class", "## Training",
                         "wam (`wam model run`) against PyTorch: max"):
            self.assertIn(expected, card)
        test_windows = sorted(out.with_suffix(".test").glob("*/*.wav"))
        self.assertEqual(len(test_windows), metrics["windows"]["test"])
        self.assertEqual(soundfile.info(str(test_windows[0])).frames, 16000)

        info = wam("model", "info", str(out))
        self.assertEqual(info.returncode, 0, info.stderr)
        self.assertIn("waveform", info.stdout)
        self.assertIn("16000", info.stdout)

        recording = next((data / "chirp").glob("*.wav"))
        explained = wam("explain", str(recording), "--model", str(out), "--method", "gradient", "--out", str(self.root / "explained"))
        self.assertEqual(explained.returncode, 0, explained.stderr)
        documents = sorted((self.root / "explained").glob("*.json"))
        document = json.loads(next(d for d in documents if d.name != "summary.json").read_text())
        self.assertIn(document["prediction"]["label"], labels)

        # wamd runs it on a recording and explains what passes its gates.
        daemon = subprocess.run([WAMD, f"file:{recording}", "--model", str(out), "--out", str(self.root / "wamd"),
                                 "--set", "gates.min_probability=0", "--set", "gates.min_dbfs=-90"],
                                capture_output=True, text=True, timeout=300)
        self.assertEqual(daemon.returncode, 0, daemon.stderr)
        explanations = [json.loads(p.read_text()) for p in (self.root / "wamd").glob("*/*/*.json")]
        self.assertTrue(explanations, daemon.stderr)
        self.assertTrue(all(e["model"]["classes"] == labels for e in explanations))

        evaluated = wam("eval", "--data", str(out.with_suffix(".test")), "--model", str(out), "--limit", "6",
                        "--methods", "wam-gradient,magnitude,random", "--metrics", "insertion,deletion")
        self.assertEqual(evaluated.returncode, 0, evaluated.stderr)
        self.assertIn("magnitude", evaluated.stdout)

    def test_the_same_seed_gives_the_same_weights(self):
        data = make_dataset(self.root / "data", files_per_class=3, seconds=2.0)
        hashes = []
        for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
            out = self.root / name / "m.onnx"
            run = wamtrain("--data", str(data), "--out", str(out), "--epochs", "1", "--steps", "2", "--seed", seed, *QUICK)
            self.assertEqual(run.returncode, 0, run.stderr)
            hashes.append(json.loads(out.with_suffix(".metrics.json").read_text())["onnx_sha256"])
        self.assertEqual(hashes[0], hashes[1])
        self.assertNotEqual(hashes[0], hashes[2])
        self.assertEqual((self.root / "a/m.onnx").read_bytes(), (self.root / "b/m.onnx").read_bytes())


class DatasetMistakes(Scratch):
    """Every mistake exits 2 with one line naming what is wrong, never a traceback, and writes nothing."""

    def refused(self, data: Path | str, *extra: str, naming: str) -> str:
        out = self.root / "models" / "m.onnx"
        run = wamtrain("--data", str(data), "--out", str(out), *QUICK, *extra)
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertNotIn("Traceback", run.stderr)
        self.assertTrue(run.stderr.startswith("wamtrain: error: "), run.stderr)
        self.assertIn(naming, run.stderr)
        self.assertFalse(out.exists())
        return run.stderr

    def test_a_missing_data_folder(self):
        self.refused(self.root / "nowhere", naming=str(self.root / "nowhere"))

    def test_a_folder_without_class_folders(self):
        (self.root / "flat").mkdir()
        (self.root / "flat" / "a.wav").write_bytes(b"")
        self.refused(self.root / "flat", naming="holds no class folders")

    def test_an_empty_class(self):
        data = make_dataset(self.root / "data", files_per_class=3, seconds=2.0)
        (data / "door").mkdir()
        self.refused(data, naming="the class 'door' holds no files")

    def test_a_single_class(self):
        data = make_dataset(self.root / "data", files_per_class=3, seconds=2.0, classes=("tone",))
        self.refused(data, naming="at least two classes; the dataset has only 'tone'")

    def test_an_unreadable_file_is_named(self):
        data = make_dataset(self.root / "data", files_per_class=3, seconds=2.0)
        (data / "tone" / "notes.wav").write_text("not audio\n")
        self.refused(data, naming=str(data / "tone" / "notes.wav") + ": cannot be read as audio")

    def test_a_class_of_silent_clips(self):
        data = make_dataset(self.root / "data", files_per_class=3, seconds=2.0)
        for path in (data / "clicks").iterdir():
            info = soundfile.info(str(path))
            soundfile.write(str(path), np.zeros((info.frames, info.channels)), info.samplerate)
        self.refused(data, naming="every window of class 'clicks' is silent")

    def test_too_few_files_to_split(self):
        data = make_dataset(self.root / "data", files_per_class=2, seconds=2.0)
        self.refused(data, naming="class 'chirp' has 2 recordings")

    def test_csv_rows(self):
        data = make_dataset(self.root / "data", files_per_class=3, seconds=2.0)
        bad_row = self.root / "bad.csv"
        bad_row.write_text("path,label\ndata/tone/tone-0.wav,tone\ndata/tone/tone-1.wav\n")
        self.refused(bad_row, naming=f"{bad_row}:3: expected path,label[,group]")
        missing = self.root / "missing.csv"
        missing.write_text("data/tone/tone-0.wav,tone\ndata/tone/gone.wav,tone\n")
        self.refused(missing, naming=f"{missing}:2: data/tone/gone.wav: no such file")

    def test_settings(self):
        data = make_dataset(self.root / "data", files_per_class=3, seconds=2.0)
        self.refused(data, "--background-class", naming="--background-class needs --background DIR")
        run = wamtrain("--data", str(data), "--out", str(self.root / "m.pt"))
        self.assertEqual(run.returncode, 2)
        self.assertIn("expected a file name ending in .onnx", run.stderr)
        self.refused(data, "--window", "0.01", naming="--window 0.01: expected")

    def test_earlier_outputs_are_kept_without_force(self):
        data = make_dataset(self.root / "data", files_per_class=3, seconds=2.0)
        (self.root / "models").mkdir()
        labels = self.root / "models" / "m.labels.json"
        labels.write_text('["mine"]\n')
        self.refused(data, naming="m.labels.json: exists; pass --force")
        self.assertEqual(labels.read_text(), '["mine"]\n')

    def test_force_never_replaces_a_test_folder_wamtrain_did_not_write(self):
        data = make_dataset(self.root / "data", files_per_class=3, seconds=2.0)
        foreign = self.root / "models" / "m.test"
        foreign.mkdir(parents=True)
        (foreign / "keep.txt").write_text("mine\n")
        self.refused(data, "--force", "--epochs", "1", "--steps", "1", naming="was not written by wamtrain")
        self.assertEqual((foreign / "keep.txt").read_text(), "mine\n")


class HostileInputs(Scratch):
    """What a first hostile pass found; each failed (a traceback, a write outside the output
    folder, a hang or a silent overwrite) before the fix."""

    refused = DatasetMistakes.refused

    def csv(self, rows: list[str], name: str = "list.csv", prefix: bytes = b"") -> Path:
        make_dataset(self.root / "data", files_per_class=3, seconds=2.0, classes=("tone", "chirp"))
        path = self.root / name
        path.write_bytes(prefix + "\n".join(rows).encode() + b"\n")
        return path

    def rows(self, chirp_label: str = "chirp") -> list[str]:
        return [f"data/tone/tone-{i}.{'flac' if i == 2 else 'wav'},tone" for i in range(3)] + \
               [f"data/chirp/chirp-{i}.{'flac' if i == 2 else 'wav'},{chirp_label}" for i in range(3)]

    def test_a_label_that_is_a_path_is_refused_before_training(self):
        for label in ("/tmp/wamtrain-escape/evil", "../escaped", "a/b", "..", "x" * 101, "new\tline"):
            stderr = self.refused(self.csv(self.rows(label)), naming="cannot be a folder name")
            self.assertIn(":4:", stderr)
        self.assertFalse(Path("/tmp/wamtrain-escape").exists())
        make_dataset(self.root / "folders", files_per_class=3, seconds=2.0, classes=("tone", "chirp"))
        (self.root / "folders" / "chirp").rename(self.root / "folders" / "chi\x01rp")
        self.refused(self.root / "folders", naming="cannot be a folder name")
        self.refused(self.root / "folders", "--background", str(self.root), "--background-class", "..",
                     naming="--background-class: the class name '..' cannot be a folder name")

    def test_classes_differing_only_in_case_are_refused(self):
        self.refused(self.csv(self.rows("Tone")), naming="the classes 'Tone' and 'tone' differ only in case")

    def test_csv_byte_order_mark_duplicates_and_nul(self):
        rows = self.rows()
        bom = self.csv(["path,label"] + rows, name="bom.csv", prefix=b"\xef\xbb\xbf")
        self.refused(bom, "--window", "0.01", naming="--window 0.01")   # the CSV itself is fine: refused for the window only
        duplicated = self.csv(rows + [rows[3].rsplit(",", 1)[0] + ",tone"], name="dup.csv")
        self.refused(duplicated, naming="is listed already on line 4")
        nul = self.csv(rows + ["data/tone/x\0.wav,tone"], name="nul.csv")
        self.refused(nul, naming="holds a NUL character")

    def test_numbers_that_would_crash_later(self):
        data = make_dataset(self.root / "data", files_per_class=3, seconds=2.0)
        self.refused(data, "--hop", "0.0001", naming="--hop 0.0001: expected a sixteenth of the window")
        self.refused(data, "--segment", "inf", naming="--segment inf: expected a finite number")
        self.refused(data, "--seed", "-1", naming="--seed -1: expected 0 to 4294967295")
        self.assertEqual(self.refused(data, "--rate", "abc", naming="invalid int value").count("\n"), 1)

    def test_outputs_with_two_dots_and_outputs_that_are_folders(self):
        data = make_dataset(self.root / "data", files_per_class=3, seconds=2.0)
        models = self.root / "models"
        models.mkdir()
        (models / "door.v2.md").write_text("mine\n")
        run = wamtrain("--data", str(data), "--out", str(models / "door.v2.onnx"), *QUICK)
        self.assertEqual(run.returncode, 2)
        self.assertIn("door.v2.md: exists; pass --force", run.stderr)
        self.assertEqual((models / "door.v2.md").read_text(), "mine\n")
        (models / "m.md").mkdir()
        self.refused(data, "--force", naming="m.md: is a folder")
        (self.root / "afile").write_text("")
        run = wamtrain("--data", str(data), "--out", str(self.root / "afile" / "m.onnx"), *QUICK)
        self.assertIn("afile: is not a folder", run.stderr)

    def test_a_wam_that_fails_leaves_no_folder_behind(self):
        data = make_dataset(self.root / "data", files_per_class=3, seconds=2.0)
        self.refused(data, "--wam", str(self.root / "no-such-wam"), naming="not an executable file")
        out = self.root / "a" / "b" / "m.onnx"
        for fake, says in (("/bin/false", "model run failed (exit 1): it printed nothing"), ("/bin/true", "wrote no logits")):
            run = wamtrain("--data", str(data), "--out", str(out), "--epochs", "1", "--steps", "1", "--wam", fake, *QUICK)
            self.assertEqual(run.returncode, 2, run.stderr)
            self.assertIn(says, run.stderr)
            self.assertNotIn("Traceback", run.stderr)
            self.assertFalse((self.root / "a").exists())

    def test_a_stop_mid_training_removes_the_scratch_folder(self):
        data = make_dataset(self.root / "data", files_per_class=3, seconds=2.0)
        models = self.root / "models"
        env = dict(os.environ, PYTHONPATH=str(HERE.parent))
        process = subprocess.Popen([sys.executable, "-m", "wamtrain", "--data", str(data), "--out", str(models / "m.onnx"),
                                    "--epochs", "1000", "--patience", "1000", *QUICK],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for line in process.stdout:
            if line.startswith("epoch 1:"):
                break
        self.assertTrue(any(p.name.startswith(".m.") for p in models.iterdir()))   # the scratch folder, mid-run
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        self.assertEqual(process.returncode, 130, stderr)
        self.assertIn("interrupted; nothing was changed", stderr)
        self.assertFalse(models.exists(), list(models.iterdir()) if models.exists() else None)


class Windowing(unittest.TestCase):
    settings = WindowSettings(rate=100, length=100, hop=50, min_dbfs=-60, segment=400)

    def test_a_short_clip_is_centred_in_one_window(self):
        (segment, window), = cut(np.ones(40, np.float32), self.settings)
        self.assertEqual(segment, 0)
        self.assertEqual(window.tolist(), [0.0] * 30 + [1.0] * 40 + [0.0] * 30)

    def test_a_long_recording_gives_windows_within_segments(self):
        x = np.arange(1000, dtype=np.float32)
        windows = cut(x, self.settings)
        for segment, window in windows:
            # Every sample of a window comes from its own segment (zero padding aside).
            inside = window[window != 0] if segment else window
            self.assertTrue(np.all((inside >= 400 * segment) & (inside < 400 * (segment + 1))), (segment, window[:3]))
        self.assertEqual([s for s, _ in windows].count(0), 7)   # starts 0, 50, ..., 300
        self.assertEqual(max(s for s, _ in windows), 2)

    def test_the_split_keeps_groups_whole_and_every_class_on_every_side(self):
        rng = np.random.default_rng(0)
        groups = np.repeat(np.arange(30), rng.integers(1, 6, 30))
        labels = groups % 3
        windows = Windows(x=np.zeros((len(groups), 1), np.float32), labels=labels, groups=groups,
                          group_names=[str(g) for g in range(30)])
        split = split_by_group(windows, ["a", "b", "c"], (0.15, 0.15), seed=3)
        for g in range(30):
            self.assertEqual(len(set(split[groups == g])), 1)
        for c in range(3):
            self.assertEqual(set(split[labels == c]), {0, 1, 2})


if __name__ == "__main__":
    unittest.main()
