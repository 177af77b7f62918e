"""Progress output (epoch, loss, seconds, ETA) and the history record."""
import sys
import time


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.5g}"
    return str(v)


class Progress:
    """Print one line per epoch when ``verbose`` and keep a history.

    ``history`` is a dict of lists, one list per recorded quantity (``epoch``,
    ``loss``, ``seconds``, ...) so that ``plt.plot(h["loss"])`` just works.
    """

    def __init__(self, name, verbose, n_epochs, history=None, stream=None):
        self.name = name
        self.verbose = int(verbose)
        self.n_epochs = n_epochs
        self.history = {} if history is None else history
        self.stream = sys.stdout if stream is None else stream
        self._start = time.perf_counter()
        self._done = 0

    def record(self, **values):
        for key, value in values.items():
            self.history.setdefault(key, []).append(value)
        self._done += 1
        if self.verbose:
            elapsed = time.perf_counter() - self._start
            eta = elapsed / self._done * max(self.n_epochs - self._done, 0)
            parts = [f"[{self.name}] epoch {values.get('epoch', self._done)}"
                     f"/{self.n_epochs}"]
            parts += [f"{k}={_fmt(v)}" for k, v in values.items()
                      if k not in ("epoch", "seconds")]
            parts.append(f"{values.get('seconds', 0.0):.2f}s")
            parts.append(f"ETA {eta:.0f}s")
            print("  ".join(parts), file=self.stream, flush=True)

    def message(self, text):
        if self.verbose:
            print(f"[{self.name}] {text}", file=self.stream, flush=True)
