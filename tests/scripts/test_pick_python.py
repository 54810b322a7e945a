"""`scripts/pick-python`: which interpreter `make` builds .venv with."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pick-python"


def fake_python(directory: Path, name: str, answer: str, status: int = 0) -> Path:
    """A stand-in interpreter that answers the probe with a fixed line and exit status."""
    path = directory / name
    path.write_text(f"#!/bin/sh\necho '{answer}'\nexit {status}\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def tools(tmp_path: Path) -> str:
    """A PATH entry with the utilities the script uses and no Python."""
    directory = tmp_path / "tools"
    directory.mkdir()
    for name in ("awk", "sort", "head", "tail"):
        found = shutil.which(name)
        assert found is not None, name
        (directory / name).symlink_to(found)
    return str(directory)


def pick(path: str, dirs: str = "") -> subprocess.CompletedProcess[str]:
    """Run the script with only `path` to search and `dirs` as the system's directories."""
    env = {**os.environ, "PATH": path, "PICK_PYTHON_DIRS": dirs}
    return subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, check=True)


def test_the_fastest_candidate_is_chosen_and_the_others_are_named(
    tmp_path: Path, tools: str
) -> None:
    on_path, system = tmp_path / "shims", tmp_path / "usr-bin"
    on_path.mkdir()
    system.mkdir()
    fake_python(on_path, "python3", "/opt/plain/python3.11 3.11.7 111.7")
    fake_python(system, "python3.11", "/usr/bin/python3.11 3.11.2 63.1")

    done = pick(f"{on_path}:{tools}", dirs=str(system))

    assert done.stdout == "/usr/bin/python3.11\n"
    assert "building .venv with /usr/bin/python3.11 (Python 3.11.2), 63.1 µs" in done.stderr
    assert "others: /opt/plain/python3.11 111.7 µs" in done.stderr


def test_names_leading_to_one_interpreter_count_once_with_its_best_time(
    tmp_path: Path, tools: str
) -> None:
    fake_python(tmp_path, "python3", "/usr/bin/python3.11 3.11.2 70.0")
    fake_python(tmp_path, "python3.11", "/usr/bin/python3.11 3.11.2 65.0")

    done = pick(f"{tmp_path}:{tools}")

    assert done.stdout == "/usr/bin/python3.11\n"
    assert "65.0 µs on the probe\n" in done.stderr  # the best of its runs, and no "others"


def test_an_interpreter_that_is_too_old_or_cannot_make_a_venv_is_skipped(
    tmp_path: Path, tools: str
) -> None:
    fake_python(tmp_path, "python3", "", status=1)  # the probe exits 1 below 3.11
    fake_python(tmp_path, "python3.12", "/opt/py/python3.12 3.12.4 80.0")

    done = pick(f"{tmp_path}:{tools}")

    assert done.stdout == "/opt/py/python3.12\n"


def test_with_no_usable_python_it_says_what_to_install(tmp_path: Path, tools: str) -> None:
    fake_python(tmp_path, "python3", "", status=1)

    done = pick(f"{tmp_path}:{tools}")

    assert done.stdout == "python3\n"  # `python -m venv` then fails with its own message
    assert "apt-get install python3 python3-venv" in done.stderr


def test_on_this_machine_it_picks_a_python_that_runs_quita() -> None:
    done = subprocess.run([str(SCRIPT)], capture_output=True, text=True, check=True)
    chosen = done.stdout.strip()

    version = subprocess.run(
        [chosen, "-c", "import sys, venv; print(sys.version_info >= (3, 11))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout == "True\n"
    assert Path(chosen).is_absolute()
