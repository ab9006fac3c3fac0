"""Learning-rate schedulers (``torch.optim.lr_scheduler``).

A scheduler rewrites ``group['lr']`` of its optimizer each time ``scheduler.step()`` is called
(once per epoch, after ``optimizer.step()``). ``get_last_lr()`` returns the current rates.
In closed form, at epoch t:

- ``StepLR(opt, step_size, gamma=0.1)``: ``lr = base_lr * gamma ** (t // step_size)``
- ``MultiStepLR(opt, milestones, gamma=0.1)``: times ``gamma`` at each milestone epoch
- ``ExponentialLR(opt, gamma)``: ``lr = base_lr * gamma ** t``
- ``CosineAnnealingLR(opt, T_max, eta_min=0)``:
  ``lr = eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2``
- ``LambdaLR(opt, lr_lambda)``: ``lr = base_lr * lr_lambda(t)``

As PyTorch's, all but ``LambdaLR`` compute the next rate from the current ``group['lr']`` (the
recursive form: for the cosine, lr_t - eta_min = (lr_{t-1} - eta_min) (1 + cos(pi t / T_max)) /
(1 + cos(pi (t - 1) / T_max))), and building a scheduler leaves the current rate alone. So a run
resumed from ``optimizer.state_dict()`` and ``scheduler.state_dict()`` continues on exactly the
rates of the run that was not interrupted, in whichever order the two are built and loaded
(``load_state_dict`` also puts the scheduler's last rates back into the optimizer, which PyTorch
does not: there, a ``LambdaLR`` built after loading the optimizer trains one epoch at
``base_lr * lr_lambda(0)``).
"""
from __future__ import annotations

import math
import types
from collections import Counter

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
           "LambdaLR"]


class LRScheduler:
    """Base class: ``get_lr()`` gives the rates of epoch ``last_epoch``; ``step()`` advances."""

    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        self.optimizer = optimizer
        if last_epoch == -1:
            for g in optimizer.param_groups:
                g.setdefault("initial_lr", g["lr"])
        else:
            for i, g in enumerate(optimizer.param_groups):
                if "initial_lr" not in g:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                                   "scheduler with last_epoch >= 0 (load the optimizer's state_dict first)")
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True          # the first step (epoch 0) keeps the optimizer's current rates
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _current(self):
        return [g["lr"] for g in self.optimizer.param_groups]

    def step(self):
        self._step_count += 1
        self.last_epoch += 1
        for g, lr in zip(self.optimizer.param_groups, self.get_lr()):
            g["lr"] = lr
        self._last_lr = self._current()

    def get_last_lr(self):
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer (restore the optimizer's own state_dict with it)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore the scheduler, and put its last rates back into the optimizer's groups. (PyTorch
        leaves the groups alone, so a ``LambdaLR`` built after the optimizer was loaded trains one
        epoch at ``base_lr * lr_lambda(0)``; here the resumed run equals the uninterrupted one.)"""
        self.__dict__.update(state_dict)
        self._restore_rates()

    def _restore_rates(self):
        for g, lr in zip(self.optimizer.param_groups, self._last_lr):
            g["lr"] = lr


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs.

    Book: ch-10-cnn (used in the training run)."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = int(step_size)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class MultiStepLR(LRScheduler):
    """Multiply the rate by ``gamma`` at each epoch in ``milestones`` (twice if listed twice)."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        k = self.milestones.get(self.last_epoch, 0)
        return [lr * self.gamma ** k for lr in self._current()] if k else self._current()


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from ``base_lr`` to ``eta_min`` over ``T_max`` epochs (PyTorch's recursive
    form of the closed form in the module docstring; the two agree to rounding)."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, lo = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current()
        if self._step_count == 1 and t > 0:          # built with last_epoch >= 0: the closed form
            return [lo + (b - lo) * (1 + math.cos(t * math.pi / T)) / 2 for b in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:               # restart from eta_min (past T_max, it rises again)
            return [lr + (b - lo) * (1 - math.cos(math.pi / T)) / 2
                    for b, lr in zip(self.base_lrs, self._current())]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - lo) + lo
                for lr in self._current()]


class LambdaLR(LRScheduler):
    """``lr = base_lr * lr_lambda(epoch)`` (one function, or one per group)."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        n = len(optimizer.param_groups)
        self.lr_lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        if len(self.lr_lambdas) != n:
            raise ValueError(f"Expected {n} lr_lambdas, but got {len(self.lr_lambdas)}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [b * f(self.last_epoch) for b, f in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self):
        """As PyTorch: the functions are not saved (a callable object's attributes are)."""
        sd = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        sd["lr_lambdas"] = [None if isinstance(f, types.FunctionType) else dict(f.__dict__) for f in self.lr_lambdas]
        return sd

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        saved = state_dict.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        self.__dict__.update(state_dict)
        for f, attrs in zip(self.lr_lambdas, saved):
            if attrs is not None:
                f.__dict__.update(attrs)
        self._restore_rates()
