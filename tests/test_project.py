"""The project's promises about itself: CI runs the README's test command, versions are pinned."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), flags=re.S)
    return [b.strip() for b in blocks if b.strip().startswith("python3.11 -m venv")]


def test_ci_runs_the_readme_test_command():
    build, test = readme_commands()[:2]
    assert "jupyter-book build" in build and "--warningiserror" in build
    assert "pytest" in test
    ci = (ROOT / ".ci" / "run").read_text()
    assert test in ci.splitlines(), ".ci/run must run the README's second command verbatim"


def test_book_build_rereads_every_page():
    """A build after a failed notebook must not report success from stale pages: the README builds with --all."""
    build = readme_commands()[0]
    assert "--all" in build.split()


def test_ruff_is_clean():
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run([str(ruff), "check", "--no-cache", str(ROOT)], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, f"ruff check found problems:\n{result.stdout[-4000:]}{result.stderr[-2000:]}"


def test_requirements_pin_the_tested_versions():
    pins = dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", (ROOT / "requirements.txt").read_text(), flags=re.M))
    assert pins["torch"] == "2.13.0"
    assert pins["jupyter-book"].startswith("1."), "Jupyter Book 2 cannot build offline; stay on 1.x"
    for name in ("nbval", "pytest", "numpy", "scikit-learn", "matplotlib", "sphinx-mathjax-offline", "ruff"):
        assert name in pins, f"{name} is not pinned in requirements.txt"
    assert re.search(r"^-e \.$", (ROOT / "requirements.txt").read_text(), flags=re.M), "the package itself"


def test_mathjax_is_configured_offline():
    config = (ROOT / "_config.yml").read_text()
    assert "sphinx-mathjax-offline" in config
    assert re.search(r"mathjax_path:\s*mathjax/tex-chtml.js", config)
    assert not re.search(r"https?://\S*mathjax", config, flags=re.I)
