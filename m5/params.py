"""gem5's m5.params: the param types, Param/VectorParam, ports and constants."""

from simobjs.params import *  # noqa: F403
from simobjs.params import __all__ as _params_all
from simobjs.params.proxy import Parent, Self  # noqa: F401
from simobjs.params.timing import TickValue  # noqa: F401
from simobjs.params.types import NullSimObject  # noqa: F401
from simobjs.params.values import HostSocket, TcpPort, UdpPort  # noqa: F401

__all__ = list(_params_all) + ["HostSocket", "TcpPort", "UdpPort", "NullSimObject"]
