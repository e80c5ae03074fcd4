"""The table of choices the strict check reads is botocore's, as pinned."""

from __future__ import annotations

import json

from tools.provider_inputs import CHOICES_FILE, botocore_choices


def test_the_choices_file_equals_what_the_pinned_botocore_allows():
    # Refresh with `python -m tools.provider_inputs --refresh` after a botocore upgrade.
    assert json.loads(CHOICES_FILE.read_text()) == botocore_choices()
