"""Make torchvision importable on machines where it needs a shim; imported first by every library fixture.

transformers, timm and diffusers import torchvision when it is installed. Where the installed
torchvision does not match torch (its compiled ops fail to load), importing it dies, and those
libraries with it. `ARCHVIZ_TVSHIM` names a Python file that makes it importable (it defines the
missing op schemas, then imports torchvision); importing this module runs that file once. With the
variable unset nothing happens, which is right wherever torchvision matches torch.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from types import ModuleType

ENV = "ARCHVIZ_TVSHIM"


def load_shim() -> None:
    """Run the file named by ARCHVIZ_TVSHIM once per process, if the variable is set."""
    path = os.environ.get(ENV)
    if not path or "tvshim" in sys.modules:
        return
    if not os.path.isfile(path):
        raise ImportError(f"{ENV}={path!r} is not a file")
    spec = importlib.util.spec_from_file_location("tvshim", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{ENV}={path!r} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules["tvshim"] = module
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        del sys.modules["tvshim"]
        raise ImportError(f"the torchvision shim {path} failed: {e}") from e


def import_torchvision() -> ModuleType:
    """Return torchvision, or raise ImportError saying how to make it importable."""
    load_shim()
    try:
        import torchvision
    except Exception as e:
        raise ImportError(
            f"torchvision cannot be imported ({type(e).__name__}: {e}); install it with "
            f"`pip install --no-deps torchvision` and, if it does not match torch, set {ENV}=/path/to/tvshim.py"
        ) from e
    return torchvision


load_shim()
