#!/usr/bin/env python3
"""Conformance check for rendered Bicep, judged by the Bicep tree-sitter grammar.

    python3 tests/conformance/bicep_check.py FILE...

Parses each `.bicep` (or `.bicepparam`) file with the PyPI package
`tree-sitter-bicep` (through `tree-sitter`), the same grammar the Rust check
stage uses (the `tree-sitter-bicep` crate), and fails on any ERROR or MISSING
node of the tree: text the grammar cannot place, or a token it had to invent.

Prints `ok FILE (N nodes)` per passing file, or `FAIL FILE` followed by one
line per problem (`line:col: unexpected text ...` / `line:col: missing X`);
exits 0 when all pass, 1 when any fails, 2 on a usage error or a missing
package. Nothing is ever skipped: a missing package is a failure that names it.

Note: the grammar describes `.bicep` files. Of the parameter-file syntax it
knows `using`, but not the assignment `param NAME = VALUE` (its `param` needs
a type), so a `.bicepparam` passes only while it holds `using`, comments and
what `.bicep` shares with it.
"""

from __future__ import annotations

import argparse
import sys

try:
    import tree_sitter
    import tree_sitter_bicep
except ImportError as exc:  # pragma: no cover - the message is the point
    print(
        f"error: missing Python package: {exc}. Install it with: "
        "pip install -r tests/conformance/requirements.txt",
        file=sys.stderr,
    )
    sys.exit(2)

# How much of an unexpected stretch of text to show.
EXCERPT = 60


def problems(source: bytes, tree: tree_sitter.Tree) -> list[str]:
    """Every ERROR and MISSING node, outermost first, in document order."""
    found = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        row, column = node.start_point
        where = f"{row + 1}:{column + 1}"
        if node.is_missing:
            found.append(f"{where}: missing {node.type}")
            continue
        if node.is_error:
            text = source[node.start_byte:node.end_byte].decode("utf-8", "replace")
            text = text.replace("\n", "\\n")
            if len(text) > EXCERPT:
                text = text[:EXCERPT] + "..."
            found.append(f"{where}: unexpected text {text!r}")
            continue
        if node.has_error:
            stack.extend(reversed(node.children))
    return found


def node_count(tree: tree_sitter.Tree) -> int:
    count = 0
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        count += 1
        stack.extend(node.children)
    return count


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description="Parse Bicep files with the tree-sitter Bicep grammar; fail on any "
        "ERROR or MISSING node.")
    parser.add_argument("files", metavar="FILE", nargs="+")
    args = parser.parse_args(argv)

    language = tree_sitter.Language(tree_sitter_bicep.language())
    bicep = tree_sitter.Parser(language)
    failed = 0
    for path in args.files:
        try:
            with open(path, "rb") as handle:
                source = handle.read()
            source.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            failed += 1
            print(f"FAIL {path}\n    cannot read the file: {exc}", flush=True)
            continue
        tree = bicep.parse(source)
        found = problems(source, tree)
        if found:
            failed += 1
            print(f"FAIL {path}", flush=True)
            for line in found:
                print(f"    {line}", flush=True)
        else:
            print(f"ok {path} ({node_count(tree)} nodes)", flush=True)
    if failed:
        print(f"{failed} of {len(args.files)} Bicep file(s) failed", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
