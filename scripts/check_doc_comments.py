#!/usr/bin/env python3
"""Lists public declarations in Sources/ that have no `///` doc comment, and fails if any.

A declaration is a line whose first keyword (after attributes such as @inlinable and
modifiers such as static, final, mutating, nonisolated(unsafe)) is `public` or `open`, followed
by func, init, var, let, struct, enum, class, actor, protocol, typealias or subscript, or a
`case` line directly inside the body of a public enum: enum cases take no access modifier
but are public API of their enum, so matching `public` alone would never see them.
`public extension` lines are not declarations (their members are checked). A doc comment is a
`///` line, or the end of a `/** … */` block, directly above the declaration or above its
attribute lines.

Lines are matched, and braces counted, with comments and string-literal contents blanked
(`code_only`): the report's JavaScript lives in multi-line Swift strings, and its braces or a
line such as `public var` inside a literal must not count as Swift.

    scripts/check_doc_comments.py            # exit 1 and a list when something is missing outside
                                             # the folders scripts/doc_comments_todo.txt still lists
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
    r"(func|init[?!]?|var|let|struct|enum|class|actor|protocol|typealias|subscript)\b")
ATTRIBUTE = re.compile(r"^\s*@[\w.]+(\(.*\))?\s*$")
CASE = re.compile(r"^\s*(?:@[\w.]+(?:\([^)]*\))?\s+)*(?:indirect\s+)?case\b")


def code_only(text):
    """Returns `text` with comments and string-literal contents blanked (newlines kept), so
    braces and keywords left are code's. Handles //, nested /* */, "…", multi-line \"\"\"…\"\"\",
    raw #"…"# strings and \\( … ) interpolation (which is code again, strings may nest)."""
    out = []
    i, n = 0, len(text)
    # stack of contexts: ('code', parenDepth) for top level / interpolation, ('str', hashes, multi)
    stack = [['code', 0]]
    def blank(s):
        return ''.join('\n' if c == '\n' else ' ' for c in s)
    while i < n:
        top = stack[-1]
        c = text[i]
        if top[0] == 'code':
            if text.startswith('//', i):
                j = text.find('\n', i)
                j = n if j < 0 else j
                out.append(blank(text[i:j])); i = j; continue
            if text.startswith('/*', i):
                depth, j = 1, i + 2
                while j < n and depth:
                    if text.startswith('/*', j): depth += 1; j += 2
                    elif text.startswith('*/', j): depth -= 1; j += 2
                    else: j += 1
                out.append(blank(text[i:j])); i = j; continue
            if c == '#' or c == '"':
                j = i
                while j < n and text[j] == '#': j += 1
                if j < n and text[j] == '"':
                    hashes = j - i
                    multi = text.startswith('"""', j)
                    k = j + (3 if multi else 1)
                    out.append(' ' * (k - i)); i = k
                    stack.append(['str', hashes, multi]); continue
                out.append(text[i:j] if j > i else c); i = max(j, i + 1); continue
            if top[1] is not None and len(stack) > 1:
                if c == '(':
                    top[1] += 1
                elif c == ')':
                    top[1] -= 1
                    if top[1] == 0:
                        stack.pop(); out.append(' '); i += 1; continue
            out.append(c); i += 1; continue
        # inside a string
        _, hashes, multi = top
        close = ('"""' if multi else '"') + '#' * hashes
        if text.startswith(close, i):
            out.append(' ' * len(close)); i += len(close); stack.pop(); continue
        esc = '\\' + '#' * hashes
        if text.startswith(esc, i):
            k = i + len(esc)
            if k < n and text[k] == '(':
                out.append(' ' * (k + 1 - i)); i = k + 1
                stack.append(['code', 1]); continue
            out.append(blank(text[i:k + 1])); i = k + 1; continue
        out.append('\n' if c == '\n' else ' '); i += 1
    return ''.join(out)


def declarations(code):
    """Indices of declaration lines: DECL matches, and `case` lines whose innermost open
    brace is a public enum's body."""
    stack = []            # per open brace: True when it opens a public enum's body
    pending_enum = False  # a public enum header seen, its `{` not yet
    for number, line in enumerate(code):
        decl = DECL.match(line)
        if decl:
            yield number
        elif CASE.match(line) and stack and stack[-1]:
            yield number
        if decl and decl.group(1) == "enum":
            pending_enum = True
        for ch in line:
            if ch == "{":
                stack.append(pending_enum)
                pending_enum = False
            elif ch == "}" and stack:
                stack.pop()


def check(path: Path):
    """(declaration count, [(line number, declaration)] of those without a doc comment)."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    numbers = list(declarations(code_only(text).split("\n")))
    missing = []
    for number in numbers:
        above = number - 1
        while above >= 0 and ATTRIBUTE.match(lines[above]):
            above -= 1
        previous = lines[above].strip() if above >= 0 else ""
        if not (previous.startswith("///") or previous.endswith("*/")):
            missing.append((number + 1, lines[number].strip()))
    return len(numbers), missing


TODO = ROOT / "scripts/doc_comments_todo.txt"


def todo_folders():
    """Folders still being documented (scripts/doc_comments_todo.txt, one per line, # comments):
    what is missing there is listed but does not fail the check. A folder that becomes complete
    must leave the list (the check fails until it does), so the list only shrinks."""
    if not TODO.exists():
        return []
    lines = (line.split("#", 1)[0].strip() for line in TODO.read_text(encoding="utf-8").splitlines())
    return [line.rstrip("/") for line in lines if line]


def main() -> int:
    count_only = "--count" in sys.argv[1:]
    total = 0
    missing = []
    for path in sorted((ROOT / "Sources").rglob("*.swift")):
        count, found = check(path)
        total += count
        missing += [(path.relative_to(ROOT), n, line) for n, line in found]
    folders = todo_folders()

    def in_todo(path):
        return any(str(path).startswith(folder + "/") for folder in folders)

    failing = [m for m in missing if not in_todo(m[0])]
    finished = [f for f in folders if not any(str(p).startswith(f + "/") for p, _, _ in missing)]
    if not count_only:
        for path, n, line in missing:
            print(f"{path}:{n}: no /// on: {line}" + ("  (todo)" if in_todo(path) else ""))
        for folder in finished:
            print(f"{folder}: complete; take it out of {TODO.relative_to(ROOT)}")
    print(f"doc comments: {total - len(missing)} of {total} public declarations documented, {len(missing)} missing"
          f" ({len(missing) - len(failing)} in folders still listed in {TODO.relative_to(ROOT)})")
    if count_only:
        return 0
    return 1 if failing or finished else 0


if __name__ == "__main__":
    sys.exit(main())
