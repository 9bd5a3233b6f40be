"""gem5's m5.proxy: Parent, Self and the proxy classes."""

from simobjs.params.proxy import AllProxy, AnyProxy, AttrProxy, BaseProxy, Parent, Self, isproxy

__all__ = ["AllProxy", "AnyProxy", "AttrProxy", "BaseProxy", "Parent", "Self", "isproxy"]
