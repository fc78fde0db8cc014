"""Stand-in ``google.colab.output``."""

from google.colab import _log


def enable_custom_widget_manager() -> None:
    _log("output.enable_custom_widget_manager")
