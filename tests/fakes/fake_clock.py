"""A clock the HTTP policy can be given instead of time.monotonic/time.sleep: sleeping only advances it,
and every sleep is recorded so tests can check the backoff and rate-limit waits."""


class FakeClock:
    def __init__(self) -> None:
        self.now, self.sleeps = 1000.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
