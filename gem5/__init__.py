"""gem5's standard library (v24) on simobjs: boards, processors, memories,
classic cache hierarchies, resources resolved from local files, and the
Simulator with its exit-event handlers, under gem5's module paths."""
