"""The suite as pytest items: collected by ``pytest --pyargs properties --kmeans-target SPEC``.

Without ``--kmeans-target`` its one item, ``no-target``, fails and says to name a target: a CI job
that forgot the option must not pass while checking nothing.
"""


def test_check(kmeans_target, kmeans_check):
    kmeans_check(kmeans_target)
