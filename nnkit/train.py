"""A small training loop for the chapters: ``fit`` (epochs over a DataLoader, optional validation,
a tqdm progress bar) and ``History`` (per-epoch loss/accuracy lists that ``History.plot`` draws).

    history = fit(model, loss_fn, optimizer, train_loader, epochs=20, val_loader=test_loader)
    history.plot()

It is the loop every chapter writes out once by hand:

    for xb, yb in loader:
        optimizer.zero_grad(); loss = loss_fn(model(xb), yb); loss.backward(); optimizer.step()
"""
from __future__ import annotations

import time

import numpy as np

from .modes import no_grad
from .tensor import Tensor

__all__ = ["History", "fit", "evaluate", "accuracy", "train_epoch"]


class History:
    """Per-epoch metrics: ``history['loss']``, ``history['val_acc']``, ... (lists of floats)."""

    def __init__(self):
        self.history = {}
        self.epochs = []

    def log(self, epoch, **metrics):
        self.epochs.append(epoch)
        for k, v in metrics.items():
            if v is not None:
                self.history.setdefault(k, []).append(float(v))

    def __getitem__(self, key):
        return self.history[key]

    def __contains__(self, key):
        return key in self.history

    def keys(self):
        return self.history.keys()

    def last(self, key):
        return self.history[key][-1]

    def __repr__(self):
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if v)
        return f"History(epochs={len(self.epochs)}, {last})"

    def plot(self, axes=None):
        """Loss curves (left) and accuracy curves (right) against the epoch; returns the figure."""
        import matplotlib.pyplot as plt
        keys_loss = [k for k in self.history if "loss" in k]
        keys_acc = [k for k in self.history if "acc" in k]
        n = 1 + bool(keys_acc)
        if axes is None:
            fig, axes = plt.subplots(1, n, figsize=(5 * n, 3.5), squeeze=False)
            axes = axes[0]
        else:
            axes = np.atleast_1d(axes)
            fig = axes[0].figure
        x = np.arange(1, len(self.epochs) + 1)
        for k in keys_loss:
            axes[0].plot(x[:len(self.history[k])], self.history[k], label=k)
        axes[0].set_xlabel("epoch")
        axes[0].set_ylabel("loss")
        axes[0].legend()
        if keys_acc and len(axes) > 1:
            for k in keys_acc:
                axes[1].plot(x[:len(self.history[k])], self.history[k], label=k)
            axes[1].set_xlabel("epoch")
            axes[1].set_ylabel("accuracy")
            axes[1].legend()
        fig.tight_layout()
        return fig


def accuracy(output, target):
    """Fraction of correct predictions: argmax over dim 1 for (N, C) scores; for one score per
    sample ((N,) or (N, 1)), a logit > 0 means class 1."""
    out = output.data if isinstance(output, Tensor) else np.asarray(output)
    y = target.data if isinstance(target, Tensor) else np.asarray(target)
    if out.ndim == 2 and out.shape[1] > 1:
        pred = out.argmax(axis=1)
    else:
        pred = (out.reshape(len(out)) > 0).astype(np.int64)
    return float(np.mean(pred == y.reshape(len(y))))


def train_epoch(model, loss_fn, optimizer, loader, metric=accuracy):
    """One pass over ``loader``; returns (mean loss, mean metric) weighted by batch size."""
    model.train()
    tot_loss = tot_metric = 0.0
    n = 0
    for xb, yb in loader:
        optimizer.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        optimizer.step()
        b = len(xb)
        tot_loss += float(loss.data) * b
        if metric is not None:
            tot_metric += metric(out, yb) * b
        n += b
    return tot_loss / max(n, 1), (tot_metric / max(n, 1) if metric is not None else None)


def evaluate(model, loss_fn, loader, metric=accuracy):
    """Mean loss and metric over ``loader`` in eval mode without recording a graph."""
    was_training = model.training
    model.eval()
    tot_loss = tot_metric = 0.0
    n = 0
    with no_grad():
        for xb, yb in loader:
            out = model(xb)
            b = len(xb)
            if loss_fn is not None:
                tot_loss += float(loss_fn(out, yb).data) * b
            if metric is not None:
                tot_metric += metric(out, yb) * b
            n += b
    model.train(was_training)
    return tot_loss / max(n, 1), (tot_metric / max(n, 1) if metric is not None else None)


def fit(model, loss_fn, optimizer, train_loader, epochs=10, val_loader=None, scheduler=None,
        metric=accuracy, progress=True, history=None):
    """Train for ``epochs`` epochs; log ``loss``/``acc`` (training, averaged over the epoch's
    batches) and ``val_loss``/``val_acc`` (after each epoch) into a ``History``.

    ``progress=True`` shows a tqdm bar over epochs (if tqdm is installed); ``metric=None``
    skips accuracy (regression). ``scheduler.step()`` is called after every epoch.

    Book: ch-08-optimizers (eq-08-sgd)."""
    history = history if history is not None else History()
    it = range(1, epochs + 1)
    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm
            bar = tqdm(it, desc="epochs", leave=False)
            it = bar
        except ImportError:  # pragma: no cover
            pass
    start = time.perf_counter()
    for epoch in it:
        loss, acc = train_epoch(model, loss_fn, optimizer, train_loader, metric)
        val_loss = val_acc = None
        if val_loader is not None:
            val_loss, val_acc = evaluate(model, loss_fn, val_loader, metric)
        if scheduler is not None:
            scheduler.step()
        history.log(epoch, loss=loss, acc=acc, val_loss=val_loss, val_acc=val_acc,
                    time=time.perf_counter() - start)
        if bar is not None:
            post = {"loss": f"{loss:.4f}"}
            if acc is not None:
                post["acc"] = f"{acc:.3f}"
            if val_acc is not None:
                post["val_acc"] = f"{val_acc:.3f}"
            bar.set_postfix(post)
    if bar is not None:
        bar.close()
    return history
