"""The project folder: found by walking up from the working directory (as git finds .git), with its settings.

A project folder holds a `forecasts.toml` (settings: `db`, `user`), a `pyproject.toml` with `[tool.forecasts]`,
or a `questions/` folder. Its default database is `db/forecasts.db` there (or its `db` setting).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from forecasts.errors import ForecastsError

CONFIG_FILE = "forecasts.toml"
DEFAULT_DB = Path("db") / "forecasts.db"


def _pyproject_section(folder: Path) -> dict[str, Any] | None:
    path = folder / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
        if "[tool.forecasts]" not in text:
            return None
        section = tomllib.loads(text).get("tool", {}).get("forecasts")
    except (OSError, UnicodeError, tomllib.TOMLDecodeError):
        return None
    return section if isinstance(section, dict) else None


def find_project(start: Path | None = None) -> Path | None:
    """The nearest folder at or above `start` (default: the working directory) that is a forecasts project."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file() or (folder / "questions").is_dir():
            return folder
        if _pyproject_section(folder) is not None:
            return folder
    return None


def project_config(start: Path | None = None) -> tuple[dict[str, Any], Path | None]:
    """(settings, the file they came from) of the project around `start`; ({}, None) outside a project."""
    root = find_project(start)
    if root is None:
        return {}, None
    path = root / CONFIG_FILE
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeError, tomllib.TOMLDecodeError) as exc:
            raise ForecastsError(f"config: {path} is not valid TOML ({exc})") from None
        return data.get("forecasts", data) if isinstance(data.get("forecasts"), dict) else data, path
    section = _pyproject_section(root)
    if section is not None:
        return section, root / "pyproject.toml"
    return {}, root / CONFIG_FILE


def default_db_path(create: bool = False) -> Path:
    """FORECASTS_DB if set; else the project's database (walking up from here); outside a project, an existing
    db/forecasts.db here, or a refusal to create a new one unless `create`."""
    env = os.environ.get("FORECASTS_DB")
    if env:
        return Path(env)
    root = find_project()
    if root is not None:
        config, _ = project_config()
        setting = config.get("db")
        return root / (Path(setting) if isinstance(setting, str) and setting else DEFAULT_DB)
    here = Path.cwd() / DEFAULT_DB
    if here.exists() or create:
        return here
    raise ForecastsError(
        f"db: {Path.cwd()} is not inside a forecasts project (no {CONFIG_FILE} or questions/ here or above), "
        f"so no database is created at {DEFAULT_DB}; run from the project folder, pass --db FILE "
        "(or set FORECASTS_DB), or pass --create-db to create it here"
    )
