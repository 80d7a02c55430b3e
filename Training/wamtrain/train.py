"""The training loop: class-balanced batches, augmentation, AdamW, the learning rate halved when the
validation loss stalls, early stopping on the validation split (the best epoch is kept), all
seeded so that one seed and thread count give the same weights."""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .augment import Augmentation, augment


# Batches of augmented training windows the BatchNorm statistics are measured on after each epoch.
CALIBRATION_BATCHES = 8
# The relative drop of the validation loss that counts as better when the accuracy is the same.
MIN_LOSS_GAIN = 0.02


@dataclass
class TrainSettings:
    epochs: int = 60                # at most
    patience: int = 8               # epochs without a better validation score before stopping
    batch: int = 32
    lr: float = 3e-3
    weight_decay: float = 1e-3
    seed: int = 0
    steps_per_epoch: int | None = None   # default: training windows / batch (at least 8)


@torch.no_grad()
def recalibrate_batchnorm(model: torch.nn.Module, batches) -> None:
    """Sets every BatchNorm's running statistics to the plain average over `batches` (a few
    hundred augmented training windows). With the default running average (momentum 0.1) a small
    dataset's few steps per epoch leave them far from the batches the model trained on, and the
    evaluation-mode model (the exported one) then predicts one class for everything."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    for xb in batches:
        model(xb)
    for m, momentum in zip(norms, saved):
        m.momentum = momentum


@torch.no_grad()
def predict(model: torch.nn.Module, x: np.ndarray, batch: int = 128) -> np.ndarray:
    """Logits [N, classes] of x [N, L] in evaluation mode."""
    model.eval()
    if len(x) == 0:
        return np.zeros((0, model.head.out_features), np.float32)
    return np.concatenate([model(torch.from_numpy(x[i:i + batch, None])).numpy() for i in range(0, len(x), batch)])


def balanced_accuracy(logits: np.ndarray, y: np.ndarray, classes: int) -> float:
    """The mean over classes present of each class's recall."""
    pred = logits.argmax(1)
    recalls = [np.mean(pred[y == c] == c) for c in range(classes) if np.any(y == c)]
    return float(np.mean(recalls))


def train(model: torch.nn.Module, x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray,
          classes: int, settings: TrainSettings, augmentation: Augmentation, background: np.ndarray | None,
          report) -> tuple[torch.nn.Module, list[dict]]:
    """Trains in place and returns the model of the best validation epoch and the per-epoch log.
    `report(epoch_entry)` is called after every epoch; `report.batches(n)` wraps the batch loop."""
    rng = np.random.default_rng([settings.seed, 2])
    by_class = [np.flatnonzero(y == c) for c in range(classes)]
    steps = settings.steps_per_epoch or max(8, len(x) // settings.batch)
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2)
    x_t, y_t = torch.from_numpy(x[:, None]), torch.from_numpy(y)
    background_t = torch.from_numpy(background) if background is not None else None
    best = (-1.0, np.inf)
    best_state, best_epoch, log = copy.deepcopy(model.state_dict()), 0, []
    started = time.time()

    def balanced_batch():
        # Class-balanced: a class uniformly at random, then one of its windows.
        picks = rng.integers(0, classes, settings.batch)
        idx = torch.from_numpy(np.array([by_class[c][rng.integers(len(by_class[c]))] for c in picks]))
        return augment(x_t[idx], rng, augmentation, background_t), idx

    for epoch in range(1, settings.epochs + 1):
        model.train()
        loss_sum = correct = total = 0
        for _ in report.batches(steps, epoch):
            xb, idx = balanced_batch()
            logits = model(xb)
            loss = F.cross_entropy(logits, y_t[idx], label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(1) == y_t[idx]).sum())
            total += len(idx)
        recalibrate_batchnorm(model, (balanced_batch()[0] for _ in range(CALIBRATION_BATCHES)))
        val_logits = predict(model, x_val)
        val_loss = float(F.cross_entropy(torch.from_numpy(val_logits), torch.from_numpy(y_val)))
        val_acc = balanced_accuracy(val_logits, y_val, classes)
        plateau.step(val_loss)
        entry = {"epoch": epoch, "loss": round(loss_sum / total, 5), "train_accuracy": round(correct / total, 4),
                 "validation_loss": round(val_loss, 5), "validation_balanced_accuracy": round(val_acc, 4),
                 "lr": opt.param_groups[0]["lr"], "seconds": round(time.time() - started, 1)}
        # Better: a higher balanced accuracy, or the same with a loss lower by more than 2 % (so
        # that a saturated accuracy with ever smaller loss gains still stops).
        if val_acc > best[0] or (val_acc == best[0] and val_loss < best[1] * (1 - MIN_LOSS_GAIN)):
            best, best_epoch = (val_acc, val_loss), epoch
            best_state = copy.deepcopy(model.state_dict())
            entry["best"] = True
        log.append(entry)
        report(entry)
        if epoch - best_epoch >= settings.patience:
            break
    model.load_state_dict(best_state)
    return model, log
