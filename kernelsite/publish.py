"""``make build``: build the site beside the last good one and swap only on success.

``mkdocs build --strict`` writes every page before it counts warnings, and empties ``site/``
when it fails. Here the build goes to ``site.next/``; only a build that finished with no warning
and no error replaces ``site/``. Otherwise ``site/`` stays exactly as it was, and we say so.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def publish(config_file: Path, site: Path) -> int:
    """Build with ``config_file`` into ``site``'s sibling, then swap; return the exit code."""
    staging, old = site.with_name(f"{site.name}.next"), site.with_name(f"{site.name}.old")
    shutil.rmtree(staging, ignore_errors=True)
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config_file)]
    built = subprocess.run([*command, "-d", str(staging)]).returncode == 0
    if not built:
        shutil.rmtree(staging, ignore_errors=True)
        kept = f"the last good {site.name}/ is unchanged" if site.is_dir() else "nothing published"
        print(f"build failed (see above): {kept}", file=sys.stderr)
        return 1
    shutil.rmtree(old, ignore_errors=True)
    if site.is_dir():
        site.rename(old)
    staging.rename(site)
    shutil.rmtree(old, ignore_errors=True)
    print(f"published {site}/")
    return 0


if __name__ == "__main__":
    root = Path.cwd()
    sys.exit(publish(root / "mkdocs.yml", root / "site"))
