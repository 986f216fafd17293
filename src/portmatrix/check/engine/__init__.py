"""The check engine: first-match evaluation of regions of traffic through the ruleset model,
the scope a check covers (lanes, slices, the chains each crosses), and shadowed rules.

Nothing here knows a ruleset format or a vendor: readers hand over chains and stages, and the
engine walks them.
"""
