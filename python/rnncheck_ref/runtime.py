"""The environment a reference is computed in: set before Keras starts, recorded after.

TensorFlow, JAX and Keras read their settings from environment variables when they are first
imported, so `prepare` must run before anything imports them.
"""

import datetime
import os
import platform
from typing import Dict, Optional

BACKENDS = ("tensorflow", "jax", "torch")


def prepare(backend: Optional[str] = None, onednn: Optional[str] = None, float64: bool = False):
    """Sets KERAS_BACKEND (Keras 3's backend), TF_ENABLE_ONEDNN_OPTS ("on"/"off") when given,
    quiets TensorFlow's start-up logs unless the user set TF_CPP_MIN_LOG_LEVEL, and lets JAX
    compute in float64 when a float64 run is asked for (JAX_ENABLE_X64)."""
    if backend is not None:
        os.environ["KERAS_BACKEND"] = backend
    if onednn is not None:
        os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1" if onednn == "on" else "0"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if float64 and os.environ.get("KERAS_BACKEND") == "jax":
        os.environ["JAX_ENABLE_X64"] = "1"


def backend(K) -> str:
    """Keras 3's backend name; "tensorflow" for Keras 2."""
    config = getattr(K, "config", None)
    if config is not None and hasattr(config, "backend"):
        return config.backend()
    return "tensorflow"


def full_float32(K):
    """Switches off reduced-precision float32 math on GPUs (TensorFloat-32), which every
    backend may use for float32 matrix products by default: a reference must be float32."""
    name = backend(K)
    if name == "tensorflow":
        import tensorflow as tf
        tf.config.experimental.enable_tensor_float_32_execution(False)
    elif name == "torch":
        import torch
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    elif name == "jax":
        import jax
        jax.config.update("jax_default_matmul_precision", "highest")


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _device(name: str):
    """("CPU" | "GPU", device name) of the device the backend computes on by default."""
    if name == "tensorflow":
        import tensorflow as tf
        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            details = tf.config.experimental.get_device_details(gpus[0])
            return "GPU", details.get("device_name", gpus[0].name)
    elif name == "torch":
        import torch
        if torch.cuda.is_available():
            return "GPU", torch.cuda.get_device_name(0)
    elif name == "jax":
        import jax
        device = jax.devices()[0]
        if device.platform != "cpu":
            return device.platform.upper(), device.device_kind
    return "CPU", _cpu_name()


def _onednn(name: str) -> str:
    if name != "tensorflow":
        return "n/a"
    try:
        from tensorflow.python.util import _pywrap_util_port
        return "on" if _pywrap_util_port.IsMklEnabled() else "off"
    except (ImportError, AttributeError):
        value = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
        return "unknown" if value is None else ("off" if value in ("0", "false") else "on")


def provenance(K) -> Dict[str, object]:
    """What computed the reference: versions, backend, device, oneDNN, time (string values;
    fixtures/README.md lists the keys)."""
    import h5py
    import numpy as np

    name = backend(K)
    result = {"keras_version": K.__version__, "backend": name}
    if name == "tensorflow":
        import tensorflow as tf
        result["tensorflow_version"] = tf.__version__
    if name == "jax":
        import jax
        result["jax_version"] = jax.__version__
    if name == "torch":
        import torch
        result["torch_version"] = torch.__version__
    result["onednn"] = _onednn(name)
    result["device"], result["device_name"] = _device(name)
    result["python_version"] = platform.python_version()
    result["numpy_version"] = np.__version__
    result["h5py_version"] = h5py.__version__
    result["created"] = (datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
                         .isoformat().replace("+00:00", "Z"))
    return result
