"""One module per topic, each defining its experiment specs (see `core.spec.Spec`).

Importing this package imports every module in it, so each spec class registers itself and
the command line and the pages find it by its `kind`.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
