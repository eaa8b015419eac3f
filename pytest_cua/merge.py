"""One result from the shards of a suite: JUnit XML, Allure results and CUA trails.

A suite split over N CI machines (pytest-split, or node-id lists) leaves N of each
artifact. This command puts them back together after the shards are done::

    python -m pytest_cua.merge junit  -o results.xml     shard-*/junit.xml
    python -m pytest_cua.merge allure -o allure-results shard-*/allure
    python -m pytest_cua.merge trails -o trails          shard-*/trails

JUnit files are merged with junitparser: every shard's suite is kept with its test cases
and their `cua_*` properties; a test found in two shards is an error (the shards
overlapped, so the merged numbers would be wrong). Allure result files have unique names
and merge by copying. Trails are copied and one index is written over all of them. Each
command prints the summed CUA totals (turns, tokens): budgets are per shard, so these
sums are what the whole suite spent.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from ._reporting import trail_index


class MergeError(Exception):
    """Inputs that cannot be merged into one honest result."""


def _properties(case: object) -> dict[str, str]:
    from junitparser import Properties

    found = case.child(Properties)  # type: ignore[attr-defined]
    return {p.name: p.value for p in found} if found is not None else {}


def merge_junit(sources: Sequence[Path], target: Path) -> dict[str, int]:
    """Write one JUnit file holding every shard's suites; the summed CUA totals."""
    from junitparser import JUnitXml, TestSuite

    merged = JUnitXml()
    seen: dict[str, Path] = {}
    rows = []
    for source in sources:
        try:
            document = JUnitXml.fromfile(str(source))
        except Exception as exc:
            raise MergeError(f"{source}: not a JUnit XML file ({exc})") from None
        suites = [document] if isinstance(document, TestSuite) else list(document)
        for suite in suites:
            for case in suite:
                name = f"{case.classname}.{case.name}"
                if name in seen:
                    raise MergeError(f"{name} is in both {seen[name]} and {source}: the "
                                     "shards overlap; give each test to one shard")
                seen[name] = source
                props = _properties(case)
                if "cua_turns" in props:
                    rows.append(trail_index.entry(name, "", "", props))
            merged.add_testsuite(suite)
    merged.update_statistics()
    target.parent.mkdir(parents=True, exist_ok=True)
    merged.write(str(target), pretty=True)
    return trail_index.totals(rows)


def _copy_tree(source: Path, target: Path, skip: frozenset[str] = frozenset()) -> int:
    """Copy a folder's files; the same name with other content is an error, not a loss."""
    copied = 0
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name in skip:
            continue
        destination = target / path.relative_to(source)
        if destination.exists():
            if filecmp.cmp(path, destination, shallow=False):
                continue
            raise MergeError(f"{path} and {destination} have the same name and different "
                             "content; merge into an empty folder, one folder per shard")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
        copied += 1
    return copied


def _folders(sources: Sequence[Path]) -> list[Path]:
    for source in sources:
        if not source.is_dir():
            raise MergeError(f"{source} is not a folder")
    return list(sources)


def merge_allure(sources: Sequence[Path], target: Path) -> int:
    """Allure result files are named by uuid: a merge is a copy. The count copied."""
    target.mkdir(parents=True, exist_ok=True)
    return sum(_copy_tree(source, target) for source in _folders(sources))


def merge_trails(sources: Sequence[Path], target: Path) -> dict[str, int]:
    """Copy each shard's trails and write one index over them; the summed totals."""
    rows: list[dict] = []
    for source in _folders(sources):
        try:
            rows += trail_index.read(source)
        except (FileNotFoundError, ValueError) as exc:
            raise MergeError(str(exc)) from None
        _copy_tree(source, target, frozenset({trail_index.INDEX_HTML, trail_index.INDEX_JSON}))
    trail_index.write(target, rows)
    return trail_index.totals(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_cua.merge",
        description="Merge what the shards of one pytest-cua suite wrote.")
    parser.add_argument("kind", choices=("junit", "allure", "trails"),
                        help="junit: XML files; allure: --alluredir folders; "
                             "trails: --cua-trail-dir folders")
    parser.add_argument("sources", nargs="+", type=Path, help="one per shard")
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="the merged file (junit) or folder (allure, trails)")
    args = parser.parse_args(argv)
    try:
        if args.kind == "junit":
            totals = merge_junit(args.sources, args.output)
            print(f"{args.output}: {trail_index.say_totals(totals)}")
        elif args.kind == "allure":
            print(f"{args.output}: {merge_allure(args.sources, args.output)} result files")
        else:
            totals = merge_trails(args.sources, args.output)
            print(f"{args.output / trail_index.INDEX_HTML}: {trail_index.say_totals(totals)}")
    except MergeError as exc:
        print(f"pytest-cua merge: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
