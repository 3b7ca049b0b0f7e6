"""Hume's legacy Python SDK (0.6.0, `HumeStreamClient`), unmodified, against a real server.

The client returns replies as dicts and raises HumeClientException for error replies; the
streaming guide's code and Hume's own example helpers (`print_emotions`, `generate_audio_stream`,
`encode_audio` from the SDK's examples) are run as the guide runs them.
"""
import base64
import contextlib
import importlib.util
import io
import os
import unittest

from hume import HumeStreamClient
from hume.error.hume_client_exception import HumeClientException
from hume.models.config import BurstConfig, FaceConfig, FacemeshConfig, LanguageConfig, ProsodyConfig

import common


def example_utilities(name):
    """One of the SDK's example helper modules, loaded from its own folder."""
    path = os.path.join(common.HUME_EXAMPLES, name, "utilities.py")
    spec = importlib.util.spec_from_file_location(f"hume_example_{name.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


voice = example_utilities("stream-voice-expression")
text_example = example_utilities("stream-text-emotion")


def printed(fn, *args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn(*args)
    return out.getvalue()


class LegacyStreamClient(common.NamedTestCase):
    def client(self, key=common.API_KEY):
        return HumeStreamClient(key, _api_ws_base_uri=common.URL)

    async def test_guide_text_example(self):
        # The streaming guide: word granularity by default, Hume's print_emotions on the first word.
        async with self.client().connect([LanguageConfig()]) as socket:
            result = await socket.send_text(common.GUIDE_TEXT)
        predictions = result["language"]["predictions"]
        self.assertEqual([p["text"] for p in predictions], common.GUIDE_WORDS)
        self.assertEqual(predictions[0]["position"], {"begin": 0, "end": 4})
        self.assertEqual(predictions[4]["position"], {"begin": 18, "end": 22})
        self.assertEmotions(predictions[0]["emotions"], "language")
        lines = printed(text_example.print_emotions, predictions[0]["emotions"]).splitlines()
        self.assertEqual([line.split(":")[0] for line in lines], ["- Joy", "- Sadness", "- Anger"])

    async def test_face_photo_with_identities(self):
        async with self.client().connect([FaceConfig(identify_faces=True)]) as socket:
            first = await socket.send_file(common.PHOTO)
            second = await socket.send_file(common.PHOTO)
        faces = first["face"]["predictions"]
        self.assertEqual(len(faces), common.PHOTO_FACES)
        for face in faces:
            self.assertEqual(set(face) >= {"frame", "time", "bbox", "prob", "face_id", "emotions"}, True, sorted(face))
            self.assertGreater(face["bbox"]["w"], 0)
            self.assertEmotions(face["emotions"], "face")
        ids = sorted(f["face_id"] for f in faces)
        self.assertEqual(len(set(ids)), common.PHOTO_FACES, "one id per person")
        self.assertEqual(sorted(f["face_id"] for f in second["face"]["predictions"]), ids, "ids stable across sends")
        self.assertIn("- Joy", printed(text_example.print_emotions, faces[0]["emotions"]))

    async def test_voice_example_speech_prosody(self):
        # Hume's voice example: 2 s chunks cut and encoded by its own pydub helpers, reset between them.
        async with self.client().connect([ProsodyConfig()]) as socket:
            measured = 0
            for segment in voice.generate_audio_stream(common.SPEECH):
                if len(segment) < 500:
                    continue  # a trailing sliver of the file
                await socket.reset_stream()
                result = await socket.send_bytes(voice.encode_audio(segment))
                if "warning" in result["prosody"]:
                    self.assertEqual(result["prosody"]["code"], "W0105")
                    continue
                emotions = result["prosody"]["predictions"][0]["emotions"]
                self.assertEmotions(emotions, "prosody")
                self.assertIn("- Sadness", printed(voice.print_emotions, emotions))
                measured += 1
        self.assertGreaterEqual(measured, 1)

    async def test_vocal_burst(self):
        async with self.client().connect([BurstConfig()]) as socket:
            result = await socket.send_file(common.LAUGH)
        bursts = result["burst"]["predictions"]
        self.assertGreaterEqual(len(bursts), 1, result)
        for burst in bursts:
            self.assertLess(burst["time"]["begin"], burst["time"]["end"])
            self.assertEmotions(burst["emotions"], "burst")
        top = max(bursts[0]["emotions"], key=lambda e: e["score"])
        self.assertEqual(top["name"], "Amusement")
        # Documented: burst has no Joy or Anger dimension, so Hume's helper cannot print it.
        with self.assertRaises(KeyError):
            printed(voice.print_emotions, bursts[0]["emotions"])

    async def test_facemesh(self):
        async with self.client().connect([FacemeshConfig()]) as socket:
            result = await socket.send_facemesh([common.FACEMESH])
        predictions = result["facemesh"]["predictions"]
        self.assertEqual(len(predictions), 1)
        self.assertEmotions(predictions[0]["emotions"], "facemesh")

    async def test_reset_and_job_details(self):
        async with self.client().connect([LanguageConfig()]) as socket:
            details = await socket.get_job_details()
            self.assertRegex(details["job_details"]["job_id"], r"^[0-9a-f]{32}$")
            reset = await socket.reset_stream()
            self.assertNotIn("error", reset)
            again = await socket.get_job_details()
            self.assertEqual(again["job_details"]["job_id"], details["job_details"]["job_id"])

    async def test_error_then_socket_still_usable(self):
        async with self.client().connect([FaceConfig()]) as socket:
            # Text bytes sent as a file to the face model: the client raises the server's coded error.
            with self.assertRaises(HumeClientException) as raised:
                await socket.send_bytes(base64.b64encode(b"Plain text is no image."))
            self.assertIn("hume(E0102)", str(raised.exception))
            result = await socket.send_file(common.PHOTO)
            self.assertEqual(len(result["face"]["predictions"]), common.PHOTO_FACES)

    async def test_wrong_key(self):
        with self.assertRaises(HumeClientException) as raised:
            async with self.client("not-the-key").connect([LanguageConfig()]):
                pass
        self.assertIn("invalid API key", str(raised.exception))  # the client's own wording for a 401


if __name__ == "__main__":
    unittest.main(verbosity=2)
