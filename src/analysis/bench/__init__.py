"""The benchmark: projects at a chosen scale, the pipeline timed cold and incrementally, and the floor.

`python -m analysis.bench --help` (or `make bench`); figures and their reading are in docs/performance.md.
"""
