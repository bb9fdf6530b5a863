"""The suite as pytest items: collected by ``pytest --pyargs properties --kmeans-target SPEC``.

Without ``--kmeans-target`` its one item is skipped ("got empty parameter set for (kmeans_target,
kmeans_check)"), which tells the user to name a target.
"""


def test_check(kmeans_target, kmeans_check):
    kmeans_check(kmeans_target)
