"""Run a page file so that the data it built does not outlive its run.

A page (pages/*.py) is a script: its tables, figures and maps are module globals. Streamlit keeps
every widget's format function from a session's last run (to read the widget's next value), and a
format function defined in the page holds the page's whole global namespace. So each session,
open or closed within the last `server.disconnectedSessionTTL`, kept every table and map its last
page built, alive for nothing: with 50 sessions coming and going, that is what made a second wave of
visitors cost an app process more memory than the first (docs/deployment.md).

Here a page runs in a fresh namespace, as Streamlit itself runs it, and when the run ends (however
it ends) every global that no function or lambda of the page refers to is dropped. What a function
can still reach later (a widget's format function, a callback, the big screen's fragment) is kept,
so nothing a later call needs can be missing: the names kept are read from the page's own compiled
code, not listed by hand.
"""

from __future__ import annotations

import dis
import types
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path


def runner(path: Path) -> Callable[[], None]:
    """A callable for st.Page that runs the page file at `path` (named after the page for Streamlit)."""

    def run() -> None:
        code, referenced = compiled(str(path), path.stat().st_mtime_ns)
        namespace = {"__name__": "__main__", "__file__": str(path), "__builtins__": __builtins__}
        try:
            exec(code, namespace)  # noqa: S102 - our own page file, as Streamlit's Page.run executes it
        finally:
            drop_unreferenced(namespace, referenced)

    run.__name__ = path.stem
    return run


@lru_cache(maxsize=64)
def compiled(path: str, mtime_ns: int) -> tuple[types.CodeType, frozenset[str]]:  # noqa: ARG001 - part of the key
    """The page's code and the global names its functions, lambdas and classes refer to (a page
    file changed on disk is compiled again)."""
    source = Path(path).read_text(encoding="utf-8")
    code = compile(source, path, "exec", dont_inherit=True)
    return code, frozenset(name for inner in _callable_later(code) for name in _globals_read(inner))


def drop_unreferenced(namespace: dict, referenced: frozenset[str]) -> None:
    """Forget every global of a finished run that nothing defined in the page can reach later."""
    for name in [name for name in namespace if name not in referenced and not name.startswith("__")]:
        del namespace[name]


_GLOBAL_ACCESS = frozenset({"LOAD_GLOBAL", "LOAD_NAME", "STORE_GLOBAL", "DELETE_GLOBAL", "STORE_NAME", "DELETE_NAME"})


def _globals_read(code: types.CodeType) -> set[str]:
    """The global names one code object reads or writes (not its attribute names, which share co_names)."""
    return {op.argval for op in dis.get_instructions(code) if op.opname in _GLOBAL_ACCESS}


_RUN_AT_ONCE = ("<listcomp>", "<dictcomp>", "<setcomp>")  # a comprehension the run itself executes


def _callable_later(code: types.CodeType, in_the_run: bool = True) -> Iterator[types.CodeType]:
    """The code objects defined in `code` that may run after the page's run: functions, lambdas,
    classes, generators, with everything inside them. A comprehension the page's own lines execute
    is over when the run is, but what it defines (a lambda per button) is not."""
    for constant in code.co_consts:
        if not isinstance(constant, types.CodeType):
            continue
        if in_the_run and constant.co_name in _RUN_AT_ONCE:
            yield from _callable_later(constant, in_the_run=True)
        else:
            yield constant
            yield from _callable_later(constant, in_the_run=False)
