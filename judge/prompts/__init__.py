"""The judge's versioned prompt files (judge.pointwise, judge.criterion, judge.pairwise).

Loaded with `kb.load_prompt("judge", name)`.
"""
