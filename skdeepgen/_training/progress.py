"""Progress output (epoch, loss, seconds, ETA) and the history record."""
import contextlib
import sys

from numba.core import event


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.5g}"
    return str(v)


@contextlib.contextmanager
def compile_timer():
    """Measure the seconds spent compiling (or loading cached) Numba kernels
    inside the block: ``with compile_timer() as t: ...; t.seconds``."""
    listener = event.TimingListener()
    timer = _CompileTime()
    try:
        with event.install_listener("numba:compiler_lock", listener):
            yield timer
    finally:
        timer.seconds = listener.duration if listener.done else 0.0


class _CompileTime:
    seconds = 0.0


class Progress:
    """Print one line per epoch when ``verbose`` and keep a history.

    ``history`` is a dict of lists, one list per recorded quantity (``epoch``,
    ``loss``, ``seconds``, ...) so that ``plt.plot(h["loss"])`` just works.
    ``start`` counts the epochs of earlier calls (``partial_fit``).  The ETA
    is the mean epoch time of this call times the epochs left, with Numba's
    one-time compilation left out.
    """

    def __init__(self, name, verbose, n_epochs, history=None, stream=None,
                 start=0):
        self.name = name
        self.verbose = int(verbose)
        self.n_epochs = n_epochs
        self.history = {} if history is None else history
        self.stream = sys.stdout if stream is None else stream
        self._epoch = start
        self._work_seconds = 0.0
        self._done = 0

    def record(self, compile_seconds=0.0, **values):
        for key, value in values.items():
            self.history.setdefault(key, []).append(value)
        self._epoch += 1
        self._done += 1
        seconds = values.get("seconds", 0.0)
        self._work_seconds += max(seconds - compile_seconds, 0.0)
        if self.verbose:
            eta = self._work_seconds / self._done * max(self.n_epochs - self._epoch, 0)
            parts = [f"[{self.name}] epoch {values.get('epoch', self._epoch)}"
                     f"/{self.n_epochs}"]
            parts += [f"{k}={_fmt(v)}" for k, v in values.items()
                      if k not in ("epoch", "seconds")]
            parts.append(f"{seconds:.2f}s")
            if compile_seconds >= 0.05:
                parts.append(f"(of which compiling {compile_seconds:.1f}s)")
            parts.append(f"ETA {eta:.0f}s")
            print("  ".join(parts), file=self.stream, flush=True)

    def message(self, text):
        if self.verbose:
            print(f"[{self.name}] {text}", file=self.stream, flush=True)
