"""The bottom layer: units and conversions, the global tick frequency, address
ranges. It imports nothing from the rest of simobjs but `simobjs.errors`."""
