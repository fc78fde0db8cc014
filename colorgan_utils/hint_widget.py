"""Notebook 07's widget: click the black-and-white photo to give a colour hint, and see the
colorization change.

:class:`HintSession` holds the state (the photo, its hints, the colorization) and is what the
tests drive; :func:`hint_widget` is the thin ipywidgets shell around it. Clicks are heard with
`ipyevents <https://github.com/mwcraig/ipyevents>`_ (BSD, for ipywidgets 7 and 8); where it
cannot load, x/y sliders and an "add hint" button place the hints instead, and a message says
so.
"""

from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from colorgan_utils.config import RENDER_SIZE
from colorgan_utils.hints import Hint, HintError, check_inside, parse_colour, true_colour

MAX_SIDE = 512  # px: a larger photo is shown (and hinted) at this longer side
MARK = 4  # px: half the side of the square that marks a hint on the photo


def click_pixel(event: dict[str, Any], width: int, height: int) -> tuple[int, int]:
    """The photo pixel ``(x, y)`` under a click, from an ipyevents mouse event on the picture
    shown at any size: the click's place within the picture's box (``relativeX`` /
    ``boundingRectWidth``), times the photo's own ``width`` and ``height``."""
    try:
        fx = float(event["relativeX"]) / float(event["boundingRectWidth"])
        fy = float(event["relativeY"]) / float(event["boundingRectHeight"])
    except (KeyError, TypeError, ZeroDivisionError) as exc:
        raise HintError(f"a click event without its place in the picture ({exc!r})") from None
    x = min(width - 1, max(0, int(fx * width)))
    y = min(height - 1, max(0, int(fy * height)))
    return x, y


def fit_photo(photo: Any, max_side: int = MAX_SIDE) -> np.ndarray:
    """The photo as ``uint8`` RGB, its longer side at most ``max_side`` px (aspect kept)."""
    from PIL import Image

    from colorgan_utils.colorize import _as_rgb

    img = _as_rgb(photo)
    if img.dtype != np.uint8:
        img = np.round(img * 255.0).astype(np.uint8)
    h, w = img.shape[:2]
    if max(h, w) > max_side:
        k = max_side / max(h, w)
        img = np.asarray(Image.fromarray(img).resize((max(1, round(w * k)),
                                                      max(1, round(h * k))), Image.LANCZOS))
    return img


class HintSession:
    """One photo, the hints given on it, and its colorization by a hinted generator (taught in
    notebook 07). Hints are in the (fitted) photo's pixels; each change colorizes again at
    ``render_size`` and records how long that took (``seconds``)."""

    def __init__(self, generator: Any, photo: Any, render_size: int = RENDER_SIZE,
                 max_side: int = MAX_SIDE) -> None:
        from colorgan_utils.colorize import colorizer_for

        self.photo = fit_photo(photo, max_side)
        self.height, self.width = self.photo.shape[:2]
        self.colorizer = colorizer_for(generator, render_size)
        if not self.colorizer.hinted:
            raise HintError("this generator takes no hints: load the hinted one "
                            "(runs.load_generator(runs.generator_path('shipped:hints')))")
        self.hints: list[Hint] = []
        self.seconds = 0.0
        self._colorize()  # the first call compiles (seconds); the time shown is an update's
        self.gray, self.colorized = self._colorize()
        self.automatic = self.colorized

    def _colorize(self) -> tuple[np.ndarray, np.ndarray]:
        t0 = time.perf_counter()
        gray, colour = self.colorizer(self.photo, self.hints)
        self.seconds = time.perf_counter() - t0
        return gray, colour

    def add(self, x: int, y: int, colour: str | Sequence[int] | None = None) -> Hint:
        """A hint at the photo's pixel ``(x, y)``: ``colour`` as ``#RRGGBB`` or ``(r, g, b)``,
        or None for the photo's own colour there ("true colour here"). Colorizes again."""
        if colour is None:
            rgb = true_colour(self.photo, int(x), int(y))
        elif isinstance(colour, str):
            rgb = parse_colour(colour)
        else:
            rgb = tuple(int(c) for c in colour)  # type: ignore[assignment]
        hint = Hint(int(x), int(y), rgb)  # type: ignore[arg-type]
        check_inside([hint], self.width, self.height)
        self.hints.append(hint)
        self.gray, self.colorized = self._colorize()
        return hint

    def undo(self) -> Hint | None:
        """Take the last hint back (None when there is none)."""
        if not self.hints:
            return None
        hint = self.hints.pop()
        self.gray, self.colorized = self._colorize()
        return hint

    def clear(self) -> None:
        """Take every hint back: the automatic colorization."""
        self.hints.clear()
        self.gray, self.colorized = self._colorize()

    def marked(self) -> np.ndarray:
        """The black-and-white photo (RGB ``uint8``) with each hint marked: a square of its
        colour in a white and black frame."""
        g = np.round(np.clip(self.gray, 0, 1) * 255).astype(np.uint8)
        out = np.repeat(g[..., None], 3, -1)
        for h in self.hints:
            for pad, fill in ((MARK + 2, (0, 0, 0)), (MARK + 1, (255, 255, 255)),
                              (MARK, h.rgb)):
                out[max(0, h.y - pad):h.y + pad + 1, max(0, h.x - pad):h.x + pad + 1] = fill
        return out


def _jpeg(image: np.ndarray) -> bytes:
    from colorgan_utils.widgets import to_jpeg

    return to_jpeg(np.asarray(image, np.float32) / 255.0, quality=92)


def clicks_available() -> bool:
    """Whether ipyevents (which hears clicks on a picture) can be imported."""
    try:
        import ipyevents  # noqa: F401
    except ImportError:
        return False
    return True


def hint_widget(generator: Any, photo: Any, render_size: int = RENDER_SIZE,
                colour: str = "#d2691e", use_clicks: bool | None = None) -> Any:
    """The hint widget: the black-and-white photo (click it to place a hint) beside its
    colorization, a colour picker, "true colour here" (the original photo's colour at the
    click, for demos on colour photos), undo and clear, and how long the last update took.
    Without ipyevents (or ``use_clicks=False``) x/y sliders and "add hint" place the hints.
    The box's ``session`` is the :class:`HintSession`; ``controls`` names its widgets."""
    import ipywidgets as w

    session = HintSession(generator, photo, render_size)
    use_clicks = clicks_available() if use_clicks is None else use_clicks
    size = w.Layout(max_width="100%", height="auto")
    left = w.Image(format="jpeg", layout=size)
    right = w.Image(format="jpeg", layout=size)
    picker = w.ColorPicker(value=colour, description="hint colour", concise=False)
    truth = w.Checkbox(value=False, description="true colour here", indent=False)
    undo = w.Button(description="undo", icon="undo")
    clear = w.Button(description="clear", icon="trash")
    status = w.HTML()

    def redraw() -> None:
        left.value = _jpeg(session.marked())
        right.value = _jpeg(session.colorized)
        left.width = right.width = session.width
        left.height = right.height = session.height
        last = session.hints[-1] if session.hints else None
        status.value = (f"{len(session.hints)} hint(s)"
                        + (f"; last at x={last.x}, y={last.y}, {last.hex}" if last else "")
                        + f"; colorized in {session.seconds:.2f} s")

    def place(x: int, y: int) -> None:
        session.add(x, y, None if truth.value else picker.value)
        redraw()

    def on_click(event: dict[str, Any]) -> None:
        if event.get("type") == "click":
            place(*click_pixel(event, session.width, session.height))

    undo.on_click(lambda _: (session.undo(), redraw()))
    clear.on_click(lambda _: (session.clear(), redraw()))
    controls: dict[str, Any] = {"photo": left, "colorized": right, "colour": picker,
                                "true_colour": truth, "undo": undo, "clear": clear,
                                "status": status}
    rows: list[Any] = []
    if use_clicks:
        from ipyevents import Event

        events = Event(source=left, watched_events=["click"])
        events.on_dom_event(on_click)
        controls["events"] = events
        rows.append(w.HTML("Click the black-and-white photo to give a hint."))
    else:
        xs = w.IntSlider(session.width // 2, 0, session.width - 1, description="x")
        ys = w.IntSlider(session.height // 2, 0, session.height - 1, description="y")
        add = w.Button(description="add hint", icon="plus")
        add.on_click(lambda _: place(xs.value, ys.value))
        controls.update(x=xs, y=ys, add=add)
        rows.append(w.HTML("<b>Clicks on the photo cannot be heard here</b> (the ipyevents "
                           "package is not available: <code>pip install ipyevents</code>); "
                           "place hints with the x and y sliders and <i>add hint</i>."))
        rows.append(w.HBox([xs, ys, add], layout=w.Layout(flex_flow="row wrap")))
    redraw()
    rows += [w.HBox([picker, truth, undo, clear], layout=w.Layout(flex_flow="row wrap")),
             w.HBox([left, right], layout=w.Layout(flex_flow="row wrap")), status]
    box = w.VBox(rows)
    box.session, box.controls, box.on_click = session, controls, on_click
    return box
