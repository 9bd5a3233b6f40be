"""gem5's standard library (v24) on simobjs: boards, processors, memories,
classic cache hierarchies, resources resolved from local files, and the
Simulator with its exit-event handlers, under gem5's module paths."""

from gem5 import _not_provided

_not_provided.install()
