"""Hume's generated Python SDK (0.13.11, `AsyncHumeClient`), unmodified, against a real server.

Every reply is parsed twice: as the client parses it (its `recv()` union), and strictly, into
the reply type it must be: the raw JSON is validated with the client's own pydantic model and
must serialise back to exactly the same JSON (no field the model does not declare, none
coerced or dropped).
"""
import base64
import json
import unittest

from hume import AsyncHumeClient
from hume.core.api_error import ApiError
from hume.core.pydantic_utilities import parse_obj_as
from hume.expression_measurement.stream import (
    Config,
    StreamErrorMessage,
    StreamFace,
    StreamLanguage,
    StreamModelPredictions,
)

import common


def strict(model_type, raw):
    """The raw reply as `model_type`, asserting that it round-trips to the same JSON."""
    model = parse_obj_as(model_type, raw)
    common.same_json(json.loads(model.json(by_alias=True, exclude_unset=True)), raw)
    return model


class GeneratedStreamClient(common.NamedTestCase):
    def connect(self, key=common.API_KEY):
        client = AsyncHumeClient(api_key=key, base_url=common.HTTP_URL)
        return client.expression_measurement.stream.connect()

    async def exchange(self, socket, payload):
        """Sends one request and returns (the client's parse, the raw JSON) of its reply."""
        await socket._websocket.send(json.dumps(payload))
        raw = json.loads(await socket._websocket.recv())
        return parse_obj_as(StreamModelPredictions, raw), raw

    async def test_guide_text_example(self):
        async with self.connect() as socket:
            result = await socket.send_text(common.GUIDE_TEXT, config=Config(language=StreamLanguage()))
            self.assertIsInstance(result, StreamModelPredictions)
            words = result.language.predictions
            self.assertEqual([w.text for w in words], common.GUIDE_WORDS)
            self.assertEqual((words[4].position.begin, words[4].position.end), (18, 22))
            self.assertEmotions([e.dict() for e in words[0].emotions], "language")
            _, raw = await self.exchange(socket, {"data": common.GUIDE_TEXT, "raw_text": True, "models": {"language": {"granularity": "sentence", "sentiment": {}}}})
            strict(StreamModelPredictions, raw)
            self.assertEqual([s["name"] for s in raw["language"]["predictions"][0]["sentiment"]], [str(i) for i in range(1, 10)])

    async def test_face_photo_with_identities(self):
        config = Config(face=StreamFace(identify_faces=True))
        async with self.connect() as socket:
            first = await socket.send_file(common.PHOTO, config=config)
            faces = first.face.predictions
            self.assertEqual(len(faces), common.PHOTO_FACES)
            ids = sorted(f.face_id for f in faces)
            self.assertEqual(len(set(ids)), common.PHOTO_FACES)
            for f in faces:
                self.assertGreater(f.bbox.w, 0)
                self.assertEmotions([e.dict() for e in f.emotions], "face")
            with open(common.PHOTO, "rb") as image:
                data = base64.b64encode(image.read()).decode()
            _, raw = await self.exchange(socket, {"data": data, "models": {"face": {"identify_faces": True}}})
            again = strict(StreamModelPredictions, raw)
            self.assertEqual(sorted(f.face_id for f in again.face.predictions), ids, "ids stable across sends")

    async def test_speech_prosody(self):
        async with self.connect() as socket:
            result = await socket.send_file(common.SPEECH, config=Config(prosody={}))
            self.assertGreaterEqual(len(result.prosody.predictions), 1)
            for p in result.prosody.predictions:
                self.assertLess(p.time.begin, p.time.end)
                self.assertEmotions([e.dict() for e in p.emotions], "prosody")
            await socket.reset()
            _, raw = await self.exchange(socket, {"data": _b64(common.SPEECH), "models": {"prosody": {}}})
            strict(StreamModelPredictions, raw)

    async def test_vocal_burst(self):
        async with self.connect() as socket:
            result = await socket.send_file(common.LAUGH, config=Config(burst={}))
            bursts = result.burst.predictions
            self.assertGreaterEqual(len(bursts), 1)
            self.assertEmotions([e.dict() for e in bursts[0].emotions], "burst")
            top = max(bursts[0].emotions, key=lambda e: e.score)
            self.assertEqual(top.name, "Amusement")
            await socket.reset()
            _, raw = await self.exchange(socket, {"data": _b64(common.LAUGH), "models": {"burst": {}}})
            strict(StreamModelPredictions, raw)

    async def test_facemesh(self):
        async with self.connect() as socket:
            result = await socket.send_facemesh([common.FACEMESH], config=Config(facemesh={}))
            self.assertEqual(len(result.facemesh.predictions), 1)
            self.assertEmotions([e.dict() for e in result.facemesh.predictions[0].emotions], "facemesh")
            _, raw = await self.exchange(socket, {"data": json.dumps([common.FACEMESH]), "models": {"facemesh": {}}})
            strict(StreamModelPredictions, raw)

    async def test_reset_and_job_details(self):
        async with self.connect() as socket:
            details = await socket.get_job_details()
            self.assertRegex(details.job_details.job_id, r"^[0-9a-f]{32}$")
            reset = await socket.reset()
            self.assertIsInstance(reset, StreamModelPredictions)
            _, raw = await self.exchange(socket, {"job_details": True})
            self.assertEqual(strict(StreamModelPredictions, raw).job_details.job_id, details.job_details.job_id)

    async def test_error_and_warning_then_socket_still_usable(self):
        async with self.connect() as socket:
            _, raw = await self.exchange(socket, {"data": "Face on text.", "raw_text": True, "models": {"face": {}}, "payload_id": "e1"})
            error = strict(StreamErrorMessage, raw)
            self.assertEqual((error.code, error.payload_id), ("E0102", "e1"))
            _, raw = await self.exchange(socket, {"data": "   ", "raw_text": True, "models": {"language": {}}})
            self.assertEqual(raw["language"]["code"], "W0104")
            strict(StreamModelPredictions, raw)
            result = await socket.send_text("Still here.", config=Config(language=StreamLanguage(granularity="sentence")))
            self.assertEqual(result.language.predictions[0].text, "Still here.")

    async def test_wrong_key(self):
        with self.assertRaises(ApiError) as raised:
            async with self.connect("not-the-key"):
                pass
        self.assertEqual(raised.exception.status_code, 401)


def _b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


if __name__ == "__main__":
    unittest.main(verbosity=2)
