"""A stand-in dataset built from scikit-image's bundled colour photos, in the Stanford Dogs layout.

Used by the tests, and by the notebooks in smoke mode, when the real test subset
(``../shared/data/stanford-dogs-tiny``) is not on the machine. Taught in notebook 01.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

# (fake wnid-folder, skimage.data function): colour photos shipped inside scikit-image
SOURCES = (
    ("n00000001-cat", "chelsea"),
    ("n00000002-astronaut", "astronaut"),
    ("n00000003-coffee", "coffee"),
    ("n00000004-rocket", "rocket"),
)


def make_sample_dataset(dest: str | os.PathLike, per_class: int = 8, seed: int = 0) -> Path:
    """Write ``per_class`` JPEG crops of each bundled photo to ``dest/Images/<wnid>-<name>/``.

    Returns ``dest``. Crops vary in position, scale (shorter side 80-160 px) and mirroring.
    """
    from skimage import data as skdata

    rng = np.random.default_rng(seed)
    root = Path(dest)
    for folder, name in SOURCES:
        photo = np.asarray(getattr(skdata, name)())[..., :3]
        h, w = photo.shape[:2]
        out = root / "Images" / folder
        out.mkdir(parents=True, exist_ok=True)
        wnid = folder.split("-", 1)[0]
        for i in range(per_class):
            ch = int(rng.integers(min(h, w) // 2, min(h, w) + 1))
            cw = int(min(w, ch * rng.uniform(0.8, 1.5)))
            top = int(rng.integers(0, h - ch + 1))
            left = int(rng.integers(0, w - cw + 1))
            im = Image.fromarray(photo[top:top + ch, left:left + cw])
            side = int(rng.integers(80, 161))
            scale = side / min(im.size)
            im = im.resize((max(side, round(im.size[0] * scale)),
                            max(side, round(im.size[1] * scale))), Image.LANCZOS)
            if rng.random() < 0.5:
                im = im.transpose(Image.FLIP_LEFT_RIGHT)
            im.save(out / f"{wnid}_{i + 1}.jpg", quality=90)
    return root
