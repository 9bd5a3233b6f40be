"""Clock and voltage domains (gem5's SrcClockDomain, DerivedClockDomain, VoltageDomain)."""

from __future__ import annotations

from simobjs.errors import ConfigError, Problem
from simobjs.sim.model import Model, Params


def _first(value, what: str, path: str):
    """gem5 declares clock and voltage as vectors (for DVFS); the first entry is the level in use."""
    if isinstance(value, list | tuple):
        if not value:
            raise ConfigError(Problem(path, f"{what} is empty", param=what, expected="a value"))
        return value[0]
    return value


class VoltageDomain(Model):
    """A voltage domain: `voltage()` in volts."""

    def __init__(self, params: Params):
        super().__init__(params)
        self._voltage = float(_first(params.voltage, "voltage", self.name()))

    def voltage(self) -> float:
        return self._voltage


class SrcClockDomain(Model):
    """A clock source: `clockPeriod()` in ticks, from `params.clock`."""

    def __init__(self, params: Params):
        super().__init__(params)
        period = int(_first(params.clock, "clock", self.name()))
        if period <= 0:
            raise ConfigError(
                Problem(
                    self.name(),
                    "the clock period must be positive",
                    param="clock",
                    expected="a period of at least 1 tick",
                    got=f"{period} ticks",
                )
            )
        self._period = period
        self.voltage_domain = params.voltage_domain

    def clockPeriod(self) -> int:
        return self._period

    def voltage(self) -> float:
        vd = self.voltage_domain
        return vd.voltage() if vd is not None else 1.0


class DerivedClockDomain(Model):
    """A clock derived from another domain's: its period times `clk_divider`."""

    def __init__(self, params: Params):
        super().__init__(params)
        if params.clk_divider < 1:
            raise ConfigError(
                Problem(
                    self.name(),
                    "the clock divider must be at least 1",
                    param="clk_divider",
                    expected="an integer >= 1",
                    got=str(params.clk_divider),
                )
            )
        self.parent_domain = params.clk_domain
        self.clk_divider = params.clk_divider

    def clockPeriod(self) -> int:
        return self.parent_domain.clockPeriod() * self.clk_divider

    def voltage(self) -> float:
        return self.parent_domain.voltage()


ClockDomain = SrcClockDomain
