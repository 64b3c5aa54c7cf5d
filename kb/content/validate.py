"""Validate practice documents from the command line without an application.

    python -m kb.content.validate FILE_OR_DIR [...]

Prints one line per problem as ``path:line: field: message`` and exits 1 when
any document has an error (warnings alone exit 0).
"""

from __future__ import annotations

import sys
from pathlib import Path

from kb.content.document import ParseResult, parse_practice_bytes


def iter_documents(paths: list[Path]):
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.suffix == ".md" and p.is_file())
        else:
            yield path


def check_file(path: Path) -> ParseResult:
    return parse_practice_bytes(path.read_bytes(), path.name)


def main(argv: list[str] | None = None) -> int:
    args = [Path(a) for a in (sys.argv[1:] if argv is None else argv)]
    if not args:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    failed = 0
    for path in iter_documents(args):
        result = check_file(path)
        for problem in result.errors + result.warnings:
            prefix = "" if problem.severity == "error" else "warning: "
            print(problem.format(str(path)).replace(": ", f": {prefix}", 1) if prefix
                  else problem.format(str(path)))
        failed += bool(result.errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
