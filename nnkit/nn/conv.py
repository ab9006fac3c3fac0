"""``Conv2d`` (as ``torch.nn.Conv2d``, NCHW, without ``dilation``, ``groups`` and
``padding_mode``; ``padding`` is an int or a pair, not the strings 'same'/'valid')."""
from __future__ import annotations

import math

import numpy as np

from . import functional as F
from . import init
from .module import Module, Parameter

__all__ = ["Conv2d"]


class Conv2d(Module):
    """2-D convolution (cross-correlation). ``weight`` (out_channels, in_channels, kH, kW),
    ``bias`` (out_channels,); init as PyTorch: kaiming_uniform_(a=sqrt(5)) and
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels * kH * kW.
    Output size: floor((H + 2 padding - kH) / stride) + 1."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 dtype=np.float32):
        super().__init__()
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = F._pair(kernel_size)
        self.stride = F._pair(stride, "stride")
        self.padding = F._pair(padding, "padding")
        self.weight = Parameter(np.empty((out_channels, in_channels) + self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        shape = tuple(input.shape)
        if len(shape) != 4 or shape[1] != self.in_channels:
            raise ValueError(f"Conv2d: expected input with {self.in_channels} channels (weight shape "
                             f"{tuple(self.weight.shape)}), got input of shape {shape}")
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.bias is None:
            s += ", bias=False"
        return s
