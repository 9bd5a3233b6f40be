"""gem5.utils.requires: stop a script early, with a message naming the script
or the component, when this build or host lacks what it needs."""

from __future__ import annotations

import inspect
import os

from gem5.coherence_protocol import CoherenceProtocol
from gem5.isas import ISA
from gem5.runtime import NO_RUBY, get_supported_isas


def _where() -> str:
    """The script file, or the class of the component, that called requires()."""
    frame = inspect.stack()[2]
    if frame.function == "<module>":
        return frame.filename
    caller = frame.frame.f_locals.get("self")
    return type(caller).__name__ if caller is not None else frame.function


def requires(
    isa_required: ISA | None = None,
    coherence_protocol_required: CoherenceProtocol | None = None,
    kvm_required: bool = False,
) -> None:
    """Raise unless the ISA, the Ruby coherence protocol and KVM asked for are there."""
    if isa_required is not None:
        supported = get_supported_isas()
        if isa_required.value not in {isa.value for isa in supported}:
            names = "".join(f"{os.linesep}{isa.name}" for isa in sorted(supported, key=str))
            raise Exception(
                f"[{_where()}] The required ISA is '{isa_required.name}'. Supported ISAs: {names}"
            )
    if coherence_protocol_required is not None:
        raise Exception(
            f"[{_where()}] The coherence protocol '{coherence_protocol_required.name}' is "
            f"required, but {NO_RUBY}."
        )
    if kvm_required and not os.access("/dev/kvm", os.R_OK | os.W_OK):
        why = "does not exist" if not os.path.exists("/dev/kvm") else "is not readable and writable"
        raise Exception(
            f"[{_where()}] KVM is required but is unavailable on this system: /dev/kvm {why} "
            "for this user (load the kvm module, or add the user to the kvm group)"
        )


__all__ = ["requires"]
