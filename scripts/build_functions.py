"""Build every function's deployable folder with the core package vendored in.

For each function in appwrite.json, ``functions/<id>/`` is copied to ``dist/functions/<id>/`` (the
``path`` appwrite.json deploys) and the core package ``shared/ecotrace`` is packed into a wheel at
``vendor/ecotrace_core-<version>-py3-none-any.whl`` inside it. The deployable ``requirements.txt`` is the
function's own plus that wheel, so the function's build command (``pip install -r requirements.txt``)
installs the core like any other dependency and ``function.src.main`` can ``import ecotrace``: Appwrite
uploads only the function's folder, and imports of sibling folders do not work there.

The wheel is written here with zipfile (a wheel is a zip with METADATA, WHEEL and RECORD), so building needs
no build backend and is byte-for-byte reproducible. Output under dist/ is git-ignored.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import shutil
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "shared" / "ecotrace"
DIST_NAME = "ecotrace_core"
FIXED_DATE = (2026, 1, 1, 0, 0, 0)  # zip entries carry no build time: reproducible output
SKIP = re.compile(r"(__pycache__|\.pyc$|\.pyo$|\.mypy_cache|\.pytest_cache)")


def core_version() -> str:
    text = (CORE / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'__version__ = "([^"]+)"', text)
    if not match:
        raise SystemExit("shared/ecotrace/__init__.py has no __version__")
    return match.group(1)


def core_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [str(dep) for dep in project["dependencies"]]


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_core_wheel(out_dir: Path) -> Path:
    version = core_version()
    dist_info = f"{DIST_NAME}-{version}.dist-info"
    wheel_path = out_dir / f"{DIST_NAME}-{version}-py3-none-any.whl"
    files: list[tuple[str, bytes]] = []
    for path in sorted(CORE.rglob("*")):
        rel = path.relative_to(CORE.parent).as_posix()
        if path.is_dir() or SKIP.search(rel):
            continue
        files.append((rel, path.read_bytes()))
    metadata = "\n".join(
        [
            "Metadata-Version: 2.1",
            f"Name: {DIST_NAME.replace('_', '-')}",
            f"Version: {version}",
            "Summary: EcoTrace core package, vendored into each Appwrite function",
            "Requires-Python: >=3.11",
            *[f"Requires-Dist: {req}" for req in core_requirements()],
            "",
        ]
    ).encode()
    wheel_meta = b"Wheel-Version: 1.0\nGenerator: ecotrace build_functions\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files += [(f"{dist_info}/METADATA", metadata), (f"{dist_info}/WHEEL", wheel_meta)]
    record = "\n".join([*(_record_line(n, d) for n, d in files), f"{dist_info}/RECORD,,", ""]).encode()
    files.append((f"{dist_info}/RECORD", record))
    out_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return wheel_path


def functions_config() -> list[dict[str, object]]:
    config = json.loads((ROOT / "appwrite.json").read_text(encoding="utf-8"))
    functions: list[dict[str, object]] = config["functions"]
    return functions


def build_function(function_id: str, out_root: Path) -> Path:
    source = ROOT / "functions" / function_id
    if not (source / "src" / "main.py").exists():
        raise SystemExit(f"functions/{function_id}/src/main.py is missing")
    target = out_root / function_id
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"))
    wheel = build_core_wheel(target / "vendor")
    own = (source / "requirements.txt").read_text(encoding="utf-8").rstrip("\n")
    (target / "requirements.txt").write_text(
        f"{own}\n# EcoTrace core, vendored by scripts/build_functions.py\n./vendor/{wheel.name}\n", encoding="utf-8"
    )
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "functions", help="output folder")
    parser.add_argument("functions", nargs="*", help="function ids (default: all in appwrite.json)")
    args = parser.parse_args(argv)
    ids = args.functions or [str(f["$id"]) for f in functions_config()]
    known = {str(f["$id"]) for f in functions_config()}
    unknown = sorted(set(ids) - known)
    if unknown:
        print(f"unknown function ids: {', '.join(unknown)}", file=sys.stderr)
        return 2
    for function_id in ids:
        target = build_function(function_id, args.out)
        print(f"built {function_id} -> {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
