"""Atomic JSON writing: a regular file is replaced whole; a special file (/dev/null, a FIFO) is written
through and never replaced by a regular file (as root, a rename over /dev/null would replace the device)."""

from __future__ import annotations

import json
import math
import os
import stat
import threading

import numpy as np
import pytest

from harness.errors import InvalidArgument
from harness.json_io import write_json


def test_regular_file_is_written_whole_with_json_safe_values(tmp_path):
    path = tmp_path / "r.json"
    write_json(str(path), {"a": math.nan, "b": np.float32(1.5), "c": np.arange(3)})
    assert json.loads(path.read_text()) == {"a": None, "b": 1.5, "c": [0, 1, 2]}
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_a_fifo_is_written_through_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, encoding="utf-8").read()))
    reader.start()
    write_json(str(fifo), {"x": 1})
    reader.join(10)
    assert json.loads(received[0]) == {"x": 1}
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still a FIFO


def test_an_unwritable_directory_names_the_parameter(tmp_path):
    with pytest.raises(InvalidArgument, match="--json: cannot write"):
        write_json(str(tmp_path / "missing" / "r.json"), {"x": 1})
