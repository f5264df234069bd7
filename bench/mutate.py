"""A small mutation sampler: which changes to a module do its app's tests fail to notice?

    nice -n 15 uv run python bench/mutate.py helpline/tickets/access.py helpline/tickets \
        [--sample 40] [--seed 12] [--timeout S [--skip-clean-run]] [--tree DIR] \
        [--only 3,17] [--list]

It lists every mutation site of the module (comparison and boolean flips, `and`/`or`,
`is`/`is not`, `in`/`not in`, `not x` -> `x`, a call statement removed, a constant or
`None` swapped, a returned value replaced by `None`; docstrings, annotations and `None`
defaults are left alone), draws `--sample` of them with a fixed seed (the same sample
on every run of the same source, so before/after scores compare), and runs
`pytest -x -q` on the given tests once per mutant. A mutant is *killed* when the tests
fail (or time out), *survived* when they pass. Survivors are printed with their line
and mutation.

The mutants run in a copy of `--tree` (default: this work tree; give an unpacked
`git archive` of an older commit to score its tests) in a temporary folder, with this
tree's Python, so no tree is ever modified and a crash leaves nothing behind. Without
DATABASE_URL the tests run on SQLite, as they should here: CPU is scarce. Test paths
are run in the order given and pytest skips a file named twice, so naming the likeliest
killers before the app's folder makes killed mutants cheaper without changing a result.
"""

import argparse
import ast
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FLIP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
OP_TEXT = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.GtE: ">=", ast.Gt: ">", ast.LtE: "<=",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
}  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    index: int  # position in the module's full list of sites
    line: int
    description: str
    path: tuple
    change: Callable[[ast.AST], ast.AST]


def _walk_with_paths(tree: ast.AST) -> Iterator[tuple[ast.AST, tuple]]:
    """Every node with its path of (field, index) steps, to find it again in a copy."""
    stack: list[tuple[ast.AST, tuple]] = [(tree, ())]
    while stack:
        node, path = stack.pop()
        yield node, path
        for field, value in ast.iter_fields(node):
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        stack.append((item, (*path, (field, i))))
            elif isinstance(value, ast.AST):
                stack.append((value, (*path, (field, None))))


def _replace(tree: ast.AST, path: tuple, change: Callable[[ast.AST], ast.AST]) -> None:
    """Find the node at `path` in `tree` and put `change(node)` in its place."""
    parent = tree
    for field, index in path[:-1]:
        value = getattr(parent, field)
        parent = value[index] if index is not None else value
    field, index = path[-1]
    if index is None:
        setattr(parent, field, change(getattr(parent, field)))
    else:
        getattr(parent, field)[index] = change(getattr(parent, field)[index])


def _set(node: ast.AST, field: str, value: object) -> ast.AST:
    setattr(node, field, value)
    return node


def _skipped_nodes(tree: ast.Module) -> set[int]:
    """Docstrings, annotations and `None` defaults: changing them changes nothing a test
    could see."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            first = body[0].value
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                skipped.update((id(body[0]), id(first)))
        annotations = []
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            annotations.append(node.annotation)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            annotations.append(node.returns)
        if isinstance(node, ast.arguments):
            # `x: T | None = None`: turning the default into 0 is nearly always equivalent.
            for default in [*node.defaults, *node.kw_defaults]:
                if isinstance(default, ast.Constant) and default.value is None:
                    skipped.add(id(default))
        for annotation in annotations:
            skipped.update(id(n) for n in ast.walk(annotation))
    return skipped


def _constant_swap(value: object) -> object | None:
    match value:
        case bool():
            return not value
        case None:
            return 0
        case int():
            return value + 1
        case str() if value:
            return "XX" + value
        case str():
            return "XX"
    return None


def _sites(tree: ast.Module) -> list[tuple[int, str, tuple, Callable[[ast.AST], None]]]:
    skipped = _skipped_nodes(tree)
    sites: list[tuple[int, str, tuple, Callable[[ast.AST], None]]] = []
    for node, path in _walk_with_paths(tree):
        if id(node) in skipped:
            continue
        sites.extend(_node_sites(node, path))
    sites.sort(key=lambda s: (s[0], s[1]))
    return sites


def _compare_sites(node: ast.Compare, path: tuple) -> Iterator[tuple[int, str, tuple, Callable]]:
    for i, op in enumerate(node.ops):
        if type(op) in FLIP:
            new = FLIP[type(op)]
            text = f"{OP_TEXT[type(op)]} -> {OP_TEXT[new]}"
            yield (
                node.lineno,
                text,
                path,
                lambda n, i=i, new=new: _set(n, "ops", [*n.ops[:i], new(), *n.ops[i + 1 :]]),
            )


def _node_sites(node: ast.AST, path: tuple) -> Iterator[tuple[int, str, tuple, Callable]]:
    line = getattr(node, "lineno", 0)
    if isinstance(node, ast.Compare):
        yield from _compare_sites(node, path)
    elif isinstance(node, ast.BoolOp):
        new_op = ast.Or if isinstance(node.op, ast.And) else ast.And
        text = "and -> or" if new_op is ast.Or else "or -> and"
        yield line, text, path, lambda n, new_op=new_op: _set(n, "op", new_op())
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield line, "not x -> x", path, lambda n: n.operand
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        yield line, f"remove call {ast.unparse(node.value)[:60]}", path, lambda n: ast.Pass()
    elif isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            text = f"return {ast.unparse(node.value)[:40]} -> return None"
            yield line, text, path, lambda n: _set(n, "value", ast.Constant(None))
    elif isinstance(node, ast.Constant):
        swapped = _constant_swap(node.value)
        if swapped is not None or node.value is None:
            text = f"{node.value!r:.40} -> {swapped!r:.40}"
            yield line, text, path, lambda n, v=swapped: _set(n, "value", v)


def mutants(source: str) -> list[Mutant]:
    tree = ast.parse(source)
    result = []
    for index, (line, text, path, change) in enumerate(_sites(tree)):
        result.append(Mutant(index, line, text, path, change))
    return result


def mutated_source(source: str, mutant: Mutant) -> str:
    tree = ast.parse(source)
    _replace(tree, mutant.path, mutant.change)
    ast.fix_missing_locations(tree)
    return ast.unparse(tree)


def copy_tree(source: Path, target: Path) -> None:
    ignore = shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", "node_modules", "var", "*.sqlite3"
    )
    shutil.copytree(source / "helpline", target / "helpline", ignore=ignore)
    shutil.copy(source / "pyproject.toml", target / "pyproject.toml")


def run_tests(workdir: Path, tests: list[str], timeout: float) -> tuple[str, float]:
    env = {**os.environ, "PYTHONPATH": str(workdir), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, cwd=workdir, env=env, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return "killed (timeout)", time.monotonic() - started
    elapsed = time.monotonic() - started
    if done.returncode == 0:
        return "survived", elapsed
    if done.returncode in (1, 2):  # failures, or an import error while collecting
        return "killed", elapsed
    tail = done.stdout.decode(errors="replace")[-500:]
    return f"error (pytest exit {done.returncode}): {tail}", elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module", help="e.g. helpline/tickets/access.py")
    parser.add_argument("tests", nargs="+", help="test paths, e.g. helpline/tickets")
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--timeout", type=float, default=0, help="seconds per mutant (default: 3 x the clean run)"
    )
    parser.add_argument(
        "--skip-clean-run",
        action="store_true",
        help="with --timeout: you know the tests pass unmutated (saves one full run)",
    )
    parser.add_argument("--only", default="", help="comma-separated mutant numbers to run")
    parser.add_argument(
        "--tree", type=Path, default=ROOT, help="the code and tests to use (default: this tree)"
    )
    parser.add_argument("--list", action="store_true", help="list the sample, run nothing")
    args = parser.parse_args()

    source = (args.tree / args.module).read_text()
    everything = mutants(source)
    sample = sorted(
        random.Random(args.seed).sample(everything, min(args.sample, len(everything))),
        key=lambda m: m.index,
    )
    if args.only:
        wanted = {int(n) for n in args.only.split(",")}
        sample = [m for m in sample if m.index in wanted]
    print(
        f"{args.module}: {len(everything)} mutation sites, {len(sample)} sampled (seed {args.seed})"
    )
    if args.list:
        for m in sample:
            print(f"  #{m.index:<4} line {m.line:<4} {m.description}")
        return

    with tempfile.TemporaryDirectory(prefix="mutate-") as folder:
        workdir = Path(folder)
        copy_tree(args.tree, workdir)
        target = workdir / args.module
        if args.timeout and args.skip_clean_run:
            timeout = args.timeout
        else:
            status, elapsed = run_tests(workdir, args.tests, 3600)
            print(f"unmutated: {status} in {elapsed:.0f} s", flush=True)
            if status != "survived":
                sys.exit("The tests fail without any mutant; fix that first.")
            # A mutant that makes the tests three times slower (a loop, a lock wait) is killed.
            timeout = args.timeout or max(120, 3 * elapsed)
        results = []
        for m in sample:
            target.write_text(mutated_source(source, m))
            status, elapsed = run_tests(workdir, args.tests, timeout)
            target.write_text(source)
            results.append((m, status))
            print(
                f"  #{m.index:<4} line {m.line:<4} {status:<8} {elapsed:5.0f} s  {m.description}",
                flush=True,
            )

    killed = [m for m, s in results if s.startswith("killed")]
    survived = [m for m, s in results if s == "survived"]
    errors = len(results) - len(killed) - len(survived)
    print(
        f"\n{args.module}: killed {len(killed)} / {len(results)}, survived {len(survived)}, errors {errors}"
    )
    for m in survived:
        print(f"  survived #{m.index} line {m.line}: {m.description}")


if __name__ == "__main__":
    main()
