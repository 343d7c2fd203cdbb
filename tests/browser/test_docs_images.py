"""Browser tests never write tracked files: pictures go to docs/img only under make docs-images."""

from __future__ import annotations

import os

from tests.browser.conftest import DOCS_IMAGES_ENV, ROOT, docs_image


def test_pictures_go_to_a_temp_dir_unless_make_docs_images_asks() -> None:
    path = docs_image("any.png")
    if os.environ.get(DOCS_IMAGES_ENV) == "1":
        assert path.parent == ROOT / "docs" / "img"
    else:
        assert not path.resolve().is_relative_to(ROOT), path
