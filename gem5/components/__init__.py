"""gem5.components: boards, processors, memories and cache hierarchies."""
