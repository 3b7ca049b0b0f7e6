"""Shared by the Python client tests: what the Node test driver hands over, and strict parsing.

The driver (test/python-clients.test.ts) starts a real server and writes the media; these
tests only drive Hume's unmodified clients against it.
"""
import json
import os
import unittest

URL = os.environ["OE_URL"]  # ws://127.0.0.1:PORT (no path)
HTTP_URL = URL.replace("ws://", "http://", 1)
API_KEY = os.environ["OE_API_KEY"]
PHOTO = os.environ["OE_PHOTO"]  # a JPEG with three faces
PHOTO_FACES = int(os.environ["OE_PHOTO_FACES"])
SPEECH = os.environ["OE_SPEECH"]  # espeak-ng speech, WAV, under the 5 s audio limit
LAUGH = os.environ["OE_LAUGH"]  # a real laugh, FLAC
FACEMESH = json.loads(os.environ["OE_FACEMESH"])  # one face, 478 x [x, y, z]
HUME_EXAMPLES = os.environ["OE_HUME_EXAMPLES"]  # the SDK's own examples folder

GUIDE_TEXT = "Mary had a little lamb,"
GUIDE_WORDS = ["Mary", "had", "a", "little", "lamb"]
# Each model's emotion names in output order (the README's label table, from the models' label sets).
MODEL_LABELS = json.loads(os.environ["OE_MODEL_LABELS"])


def same_json(a, b, path="$"):
    """Exact equality of two JSON values; ints and floats compare by value (the wire has no int type)."""
    if isinstance(a, bool) or isinstance(b, bool):
        assert a is b, f"{path}: {a!r} != {b!r}"
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
        assert a == b, f"{path}: {a!r} != {b!r}"
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            same_json(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            same_json(x, y, f"{path}[{i}]")
    else:
        assert type(a) is type(b) and a == b, f"{path}: {a!r} != {b!r}"


class NamedTestCase(unittest.IsolatedAsyncioTestCase):
    maxDiff = None

    def assertEmotions(self, emotions, model):
        """Exactly the model's documented names, in order, each with a numeric score."""
        self.assertEqual([e["name"] for e in emotions], MODEL_LABELS[model])
        for e in emotions:
            self.assertIsInstance(e["score"], (int, float))
