"""The suite as pytest items: collected by ``pytest --pyargs properties --kmeans-target SPEC``.

Without ``--kmeans-target`` this module yields no items (pytest then exits with code 5, "no tests
collected", which tells the user to name a target).
"""


def test_check(kmeans_target, kmeans_check):
    kmeans_check(kmeans_target)
