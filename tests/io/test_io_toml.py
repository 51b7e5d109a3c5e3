"""read_toml: every unreadable path is one InputError naming the field."""

from __future__ import annotations

import pytest

from computesim.errors import InputError
from computesim.io.toml import read_toml


@pytest.mark.parametrize("name", ["5\x00", "missing.toml"])
def test_unusable_or_missing_path_is_one_input_error(tmp_path, name):
    with pytest.raises(InputError, match=r"^scenario: "):
        read_toml(tmp_path / name, "scenario")


def test_bad_toml_names_the_file(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text("a = [", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        read_toml(p, "scenario")
