#!/usr/bin/env python3
"""Lists public declarations in Sources/ that have no `///` doc comment, and fails if any.

A declaration is a line whose first keyword (after attributes such as @inlinable and
modifiers such as static, final, mutating, nonisolated(unsafe)) is `public` or `open`, followed
by func, init, var, let, struct, enum, class, actor, protocol, typealias, subscript or case.
`public extension` lines are not declarations (their members are checked). A doc comment is a
`///` line, or the end of a `/** … */` block, directly above the declaration or above its
attribute lines.

    scripts/check_doc_comments.py            # exit 1 and a list when something is missing
    scripts/check_doc_comments.py --count    # counts only
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DECL = re.compile(
    r"^\s*(?:@[\w.]+(?:\([^)]*\))?\s+)*"           # attributes on the same line
    r"(?:(?:static|class|final|override|mutating|nonmutating|nonisolated(?:\(unsafe\))?|"
    r"convenience|required|indirect|lazy|dynamic|@\w+)\s+)*"
    r"(?:public|open)\s+(?:(?:static|class|final|override|mutating|nonmutating|"
    r"nonisolated(?:\(unsafe\))?|convenience|required|indirect|lazy|dynamic|private\(set\)|"
    r"internal\(set\)|fileprivate\(set\))\s+)*"
    r"(func|init[?!]?|var|let|struct|enum|class|actor|protocol|typealias|subscript|case)\b")
ATTRIBUTE = re.compile(r"^\s*@[\w.]+(\(.*\))?\s*$")


def missing_in(path: Path):
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if not DECL.match(line):
            continue
        above = number - 1
        while above >= 0 and ATTRIBUTE.match(lines[above]):
            above -= 1
        previous = lines[above].strip() if above >= 0 else ""
        if previous.startswith("///") or previous.endswith("*/"):
            continue
        yield number + 1, line.strip()


def main() -> int:
    count_only = "--count" in sys.argv[1:]
    total = 0
    missing = []
    for path in sorted((ROOT / "Sources").rglob("*.swift")):
        text = path.read_text(encoding="utf-8")
        total += sum(1 for line in text.splitlines() if DECL.match(line))
        missing += [(path.relative_to(ROOT), n, line) for n, line in missing_in(path)]
    if not count_only:
        for path, n, line in missing:
            print(f"{path}:{n}: no /// on: {line}")
    print(f"doc comments: {total - len(missing)} of {total} public declarations documented, {len(missing)} missing")
    return 1 if missing and not count_only else 0


if __name__ == "__main__":
    sys.exit(main())
