"""Convolutions: Conv1D/2D/3D (groups), DepthwiseConv1D/2D, SeparableConv1D/2D and
Conv1D/2D/3DTranspose, channels_last.

From keras/src/layers/convolutional/*.py and keras/src/backend/tensorflow/nn.py (Keras 3:
ops.conv / depthwise_conv / separable_conv / conv_transpose are tf.nn.convolution,
depthwise_conv2d, separable_conv2d and conv_transpose) and tf_keras's copies. TensorFlow's
windows along each spatial axis, for a kernel of k taps dilated by d (span (k - 1)·d + 1) and
stride s over n elements:

* "valid": floor((n - span) / s) + 1 outputs, no padding;
* "same": ceil(n / s) outputs over an input padded with max((out - 1)·s + span - n, 0) zeros,
  the smaller half (total // 2) before;
* "causal" (Conv1D, tf_keras SeparableConv1D): span - 1 zeros before, then "valid".

A grouped kernel is (k…, in / groups, filters): filters [g·f/groups, (g+1)·f/groups) read input
channels [g·in/groups, (g+1)·in/groups). A depthwise kernel is (k…, in, multiplier) and output
channel c·multiplier + m reads input channel c. A separable convolution is the depthwise one
(no bias) followed by a 1×…×1 convolution with the bias. A transposed convolution (kernel
(k…, filters, in)) is the gradient of the convolution whose input is the output: input
position p adds x[p] · kernel[t]ᵀ at output position p·s - before + t·d, where the output has
(n - 1)·s + max(span, s) ("valid") or n·s ("same") elements, or with output_padding q
(n - 1)·s + span + q ("valid") / (n - 1)·s + span mod 2 + q ("same"), and before is the "same"
padding of that forward convolution (0 for "valid"). Then bias, then activation.

Convolutions do not support masking: the output carries no mask."""

import itertools

import numpy as np

from ..registry import layer


def _tuple(value, n):
    return (value,) * n if isinstance(value, int) else tuple(value)


def _geometry(cfg, dims):
    kernel = _tuple(cfg["kernel_size"], dims)
    strides = _tuple(cfg.get("strides", 1), dims)
    dilation = _tuple(cfg.get("dilation_rate", 1), dims)
    padding = cfg.get("padding", "valid").lower()
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise NotImplementedError("channels_first convolutions (TensorFlow cannot run them on "
                                  "the CPU)")
    return kernel, strides, dilation, padding


def _pad(x, kernel, strides, dilation, padding):
    """x padded for the convolution, and the output extents."""
    pads, outs = [(0, 0)], []
    for d, n in enumerate(x.shape[1:-1]):
        span = (kernel[d] - 1) * dilation[d] + 1
        if padding == "valid":
            before = after = 0
        elif padding == "same":
            total = max((-(-n // strides[d]) - 1) * strides[d] + span - n, 0)
            before, after = total // 2, total - total // 2
        elif padding == "causal":
            before, after = span - 1, 0
        else:
            raise ValueError(f"convolution padding {padding!r}")
        count = (n + before + after - span) // strides[d] + 1
        if count < 1:
            raise ValueError(f"kernel span {span} is larger than the {n} elements it gets")
        pads.append((before, after))
        outs.append(count)
    return np.pad(x, pads + [(0, 0)]), outs


def convolve(x, kernel, strides, dilation, padding, groups=1):
    """The grouped convolution of channels-last x with kernel (k…, in / groups, filters)."""
    dims = x.ndim - 2
    taps = kernel.shape[:dims]
    xp, outs = _pad(x, taps, strides, dilation, padding)
    cg, filters = kernel.shape[-2], kernel.shape[-1]
    fg = filters // groups
    y = np.zeros((x.shape[0], *outs, filters))
    for tap in itertools.product(*(range(k) for k in taps)):
        window = (slice(None),) + tuple(
            slice(tap[d] * dilation[d], tap[d] * dilation[d] + (outs[d] - 1) * strides[d] + 1,
                  strides[d]) for d in range(dims))
        part = xp[window]
        for g in range(groups):
            y[..., g * fg:(g + 1) * fg] += (part[..., g * cg:(g + 1) * cg]
                                            @ kernel[tap][:, g * fg:(g + 1) * fg])
    return y


def depthwise(x, kernel, strides, dilation, padding):
    """Depthwise convolution with kernel (k…, in, multiplier): output channel c·m + j."""
    dims = x.ndim - 2
    cin, mult = kernel.shape[-2:]
    # As a grouped convolution with one group per input channel: kernel (k…, 1, in·m).
    grouped = kernel.reshape(kernel.shape[:dims] + (1, cin * mult))
    return convolve(x, grouped, strides, dilation, padding, groups=cin)


def _finish(call, y, bias):
    if bias is not None:
        y = y + bias
    return [call.activation()(y)], [None]


@layer("Conv1D", "Conv2D", "Conv3D")
def conv(call):
    cfg, w = call.config, call.weights
    _, strides, dilation, padding = _geometry(cfg, call.x.ndim - 2)
    y = convolve(call.x, w[0], strides, dilation, padding, cfg.get("groups", 1))
    return _finish(call, y, w[1] if cfg.get("use_bias", True) else None)


@layer("DepthwiseConv1D", "DepthwiseConv2D")
def depthwise_conv(call):
    cfg, w = call.config, call.weights
    _, strides, dilation, padding = _geometry(cfg, call.x.ndim - 2)
    y = depthwise(call.x, w[0], strides, dilation, padding)
    return _finish(call, y, w[1] if cfg.get("use_bias", True) else None)


@layer("SeparableConv1D", "SeparableConv2D")
def separable_conv(call):
    cfg, w = call.config, call.weights
    dims = call.x.ndim - 2
    _, strides, dilation, padding = _geometry(cfg, dims)
    mid = depthwise(call.x, w[0], strides, dilation, padding)
    y = convolve(mid, w[1], (1,) * dims, (1,) * dims, "valid")
    return _finish(call, y, w[2] if cfg.get("use_bias", True) else None)


def transpose(x, kernel, strides, dilation, padding, output_padding):
    """TensorFlow's conv_transpose of channels-last x with kernel (k…, filters, in), output
    extents as Keras computes them."""
    dims = x.ndim - 2
    taps = kernel.shape[:dims]
    outs, befores = [], []
    for d, n in enumerate(x.shape[1:-1]):
        span = (taps[d] - 1) * dilation[d] + 1
        q = None if output_padding is None else output_padding[d]
        if padding == "valid":
            out = (n - 1) * strides[d] + span + (max(span, strides[d]) - span if q is None else q)
            before = 0
        elif padding == "same":
            out = n * strides[d] if q is None else (n - 1) * strides[d] + span % 2 + q
            before = max((n - 1) * strides[d] + span - out, 0) // 2
        else:
            raise ValueError(f"transposed convolution padding {padding!r}")
        outs.append(out)
        befores.append(before)
    y = np.zeros((x.shape[0], *outs, kernel.shape[-2]))
    for p in itertools.product(*(range(n) for n in x.shape[1:-1])):
        for tap in itertools.product(*(range(k) for k in taps)):
            o = [p[d] * strides[d] - befores[d] + tap[d] * dilation[d] for d in range(dims)]
            if all(0 <= o[d] < outs[d] for d in range(dims)):
                y[(slice(None), *o)] += x[(slice(None), *p)] @ kernel[tap].T
    return y


@layer("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
def conv_transpose(call):
    cfg, w = call.config, call.weights
    dims = call.x.ndim - 2
    _, strides, dilation, padding = _geometry(cfg, dims)
    op = cfg.get("output_padding")
    y = transpose(call.x, w[0], strides, dilation, padding,
                  None if op is None else _tuple(op, dims))
    return _finish(call, y, w[1] if cfg.get("use_bias", True) else None)
