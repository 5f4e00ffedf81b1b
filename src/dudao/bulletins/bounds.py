"""Bounds on rendering an office's Word template (decision 0013).

A template is a program written by an office user: Jinja's sandbox keeps it from reaching Python, but not from
working forever (``range`` is capped per range, so two nested loops already make ten thousand million steps) or
from making a gigabyte of text. Two bounds hold it:

- a budget across the whole render (every part of the document): loop steps, calls, filters, attribute reads
  and output pieces each cost a step; text longer than the output limit is refused where it is made; the clock
  is read at every step. Going over raises ``OverBudget``, which ``word.refusal`` words for people.
- the render runs in a child process with a memory and CPU limit and a deadline (``isolated``), so that what
  the budget does not see (a loop over a long string, a C function making a huge string) costs the child, never
  the web server's or the worker's process, and ends in a refusal, not a killed worker.
"""

import functools
import math
import multiprocessing
import os
import resource
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2.sandbox import SandboxedEnvironment, safe_range

from dudao.core.errors import Refused

MAX_STEPS = 5_000_000  # a county's bulletin with the default template takes about 5,000
MAX_OUTPUT = 20_000_000  # characters of one value or one piece of output
MAX_SECONDS = 20.0  # the default template renders a county's week in well under a second
MAX_MEMORY_MB = 1024  # memory the child may take on top of what it starts with


class OverBudget(Exception):
    """A template went past a bound: ``kind`` is "steps", "output", "time" or "memory"; ``limit`` is the bound
    in its unit (steps, characters, seconds, MB)."""

    def __init__(self, kind: str, limit: float) -> None:
        super().__init__(f"{kind} > {limit}")
        self.kind = kind
        self.limit = limit


class Budget:
    def __init__(self, steps: int | None = None, output: int | None = None, seconds: float | None = None) -> None:
        self.max_steps = MAX_STEPS if steps is None else steps
        self.max_output = MAX_OUTPUT if output is None else output
        self.seconds = MAX_SECONDS if seconds is None else seconds
        self.steps = 0
        self.deadline = time.monotonic() + self.seconds

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > self.max_steps:
            raise OverBudget("steps", self.max_steps)
        if time.monotonic() > self.deadline:
            raise OverBudget("time", self.seconds)

    def size(self, value: Any) -> Any:
        """The value, unless it is text or a collection longer than the output limit."""
        if isinstance(value, str | bytes | list | tuple | dict) and len(value) > self.max_output:
            raise OverBudget("output", self.max_output)
        return value

    def allow_size(self, size: int) -> None:
        if size > self.max_output:
            raise OverBudget("output", self.max_output)


class _Counted(list):
    """A list of the template's values whose every iteration costs a step (loops over the data nest too)."""

    budget: Budget

    def __iter__(self) -> Iterator[Any]:
        for item in super().__iter__():
            self.budget.step()
            yield item


class _CountedRange:
    def __init__(self, budget: Budget, values: range) -> None:
        self.budget = budget
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self) -> Iterator[int]:
        for value in self.values:
            self.budget.step()
            yield value


def counted(value: Any, budget: Budget) -> Any:
    """The template's values with every list (and tuple) counted, at any depth."""
    if isinstance(value, dict):
        return {key: counted(item, budget) for key, item in value.items()}
    if isinstance(value, list | tuple):
        result = _Counted(counted(item, budget) for item in value)
        result.budget = budget
        return result
    return value


def _precheck_filter(budget: Budget, name: str, args: tuple, kwargs: dict) -> None:
    """Refuse before a filter runs when its arguments already say the text it makes is too long (a width of a
    thousand million characters, a replacement that multiplies the text)."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool):
            budget.allow_size(abs(value))
    if name == "replace" and len(args) >= 3 and all(isinstance(a, str) for a in args[:3]):
        text, old, new = args[:3]
        count = text.count(old) if old else len(text) + 1
        budget.allow_size(len(text) + count * max(len(new) - len(old), 0))


class BoundedEnvironment(SandboxedEnvironment):
    """Jinja's sandbox, with every loop step, call, filter, attribute read and output piece paid from a budget."""

    intercepted_binops = frozenset({"*", "**", "+"})

    def __init__(self, budget: Budget, **options: Any) -> None:
        super().__init__(**options)
        self.budget = budget
        self.globals["range"] = self._range
        self.filters = {name: self._bounded_filter(name, function) for name, function in self.filters.items()}
        self.concat = self._concat  # type: ignore[method-assign]

    def _range(self, *args: int) -> _CountedRange:
        return _CountedRange(self.budget, safe_range(*args))

    def _bounded_filter(self, name: str, function: Callable) -> Callable:
        budget = self.budget

        @functools.wraps(function)  # keeps jinja's pass_context / pass_environment marks
        def bounded(*args: Any, **kwargs: Any) -> Any:
            budget.step()
            _precheck_filter(budget, name, args, kwargs)
            return budget.size(function(*args, **kwargs))

        return bounded

    def _concat(self, pieces: Iterable[str]) -> str:
        made: list[str] = []
        size = 0
        for piece in pieces:
            size += len(piece)
            self.budget.allow_size(size)
            self.budget.step()
            made.append(piece)
        return "".join(made)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        self.budget.step()
        if operator == "*" and isinstance(right, int) and isinstance(left, str | list | tuple):
            self.budget.allow_size(len(left) * right)
        elif operator == "*" and isinstance(left, int) and isinstance(right, str | list | tuple):
            self.budget.allow_size(len(right) * left)
        elif operator == "**" and isinstance(right, int | float) and abs(right) > 64:
            # Large powers make numbers of millions of digits; no bulletin needs one.
            raise OverBudget("output", self.budget.max_output)
        return self.budget.size(super().call_binop(context, operator, left, right))

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.budget.step()
        return self.budget.size(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.budget.step()
        return self.budget.size(super().getitem(obj, argument))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - jinja's names
        __self.budget.step()
        for value in (*args, *kwargs.values()):
            __self.budget.size(value)
        return __self.budget.size(super().call(__context, __obj, *args, **kwargs))


# The child process ------------------------------------------------------------------------------------------


_CPU_SIGNALS = {-9, -24}  # SIGKILL, SIGXCPU: how the CPU limit ends a process


def _virtual_size() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _limit_child(memory_mb: int, seconds: float) -> None:
    """Cap the child's address space (what it has plus ``memory_mb``) and its CPU time, where the system lets us."""
    try:
        memory = _virtual_size() + memory_mb * 2**20
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (memory if hard == resource.RLIM_INFINITY else min(memory, hard), hard))
    except (OSError, ValueError):
        pass  # no /proc (not Linux) or a lower hard limit we may not raise: the deadline still holds
    cpu = math.ceil(seconds) + 1
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard == resource.RLIM_INFINITY or cpu <= hard:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, hard))


def _child(send, function: Callable[..., bytes], args: tuple, memory_mb: int, seconds: float) -> None:
    _limit_child(memory_mb, seconds)
    try:
        answer: tuple = ("ok", function(*args))
    except Refused as exc:
        answer = ("refused", exc.code, exc.message)
    except OverBudget as exc:
        answer = ("over", exc.kind, exc.limit)
    except MemoryError:
        answer = ("over", "memory", memory_mb)
    except Exception as exc:  # noqa: BLE001 - told to the parent, which raises it there
        answer = ("error", f"{type(exc).__name__}: {exc}")
    send.send(answer)
    send.close()


def isolated(function: Callable[..., bytes], *args: Any, seconds: float | None = None,
             memory_mb: int | None = None) -> bytes:
    """``function(*args)`` run in a forked child with a memory limit, a CPU limit and a deadline: its bytes, or
    the Refused it raised, or OverBudget when it went past a limit or died. The child is forked so that it starts
    at once with this process's settings, translations and fonts; it touches no database connection and leaves
    with os._exit (multiprocessing's), so the parent's connections are not closed under it."""
    seconds = MAX_SECONDS if seconds is None else seconds
    memory_mb = MAX_MEMORY_MB if memory_mb is None else memory_mb
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(send, function, args, memory_mb, seconds))
    process.start()
    send.close()
    answer: tuple = ("over", "time", seconds)
    try:
        # A little more than the render's own deadline, so that the budget's refusal, which says more, comes first.
        if receive.poll(seconds + 1):
            try:
                answer = receive.recv()
            except EOFError:  # the child died: killed for its CPU time, or out of memory outside Python's reach
                process.join(5)
                answer = ("over", "time", seconds) if process.exitcode in _CPU_SIGNALS else (
                    "over", "memory", memory_mb)
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receive.close()
        process.close()
    if answer[0] == "ok":
        return answer[1]
    if answer[0] == "refused":
        raise Refused(answer[1], answer[2])
    if answer[0] == "error":
        raise RuntimeError(answer[1])
    raise OverBudget(answer[1], answer[2])
