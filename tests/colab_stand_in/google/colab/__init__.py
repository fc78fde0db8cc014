"""A stand-in for Colab's ``google.colab`` package, for tests/test_colab.py: with it imported
at kernel start the notebooks take their Colab branches on a machine that is not Colab.

* ``drive.mount(path)``: "mounts" Drive by creating ``$COLORGAN_DRIVE_MOUNT/MyDrive`` (a folder
  the test keeps across "VM resets");
* ``files.upload()``: returns ``{name: bytes}`` of the files in ``$COLAB_STAND_IN_UPLOADS``, as if
  the user had picked them;
* ``output.enable_custom_widget_manager()``: records the call in ``$COLAB_STAND_IN_LOG``.

Nothing else of Colab is imitated. ``google`` stays a namespace package (no ``__init__.py``),
so ``google.protobuf`` still imports.
"""

import os


def _log(event: str) -> None:
    path = os.environ.get("COLAB_STAND_IN_LOG")
    if path:
        with open(path, "a") as f:
            f.write(event + "\n")
