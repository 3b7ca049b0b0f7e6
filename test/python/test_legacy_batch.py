"""Hume's legacy HumeBatchClient (hume 0.6.0), unmodified, against the real server's batch API.

The driver (test/batch-python.test.ts) starts the server and writes the media.
"""
import json
import os
import tempfile
import unittest
import zipfile

from hume import HumeBatchClient
from hume.models.config import FaceConfig, LanguageConfig

HTTP_URL = os.environ["OE_HTTP_URL"]  # http://127.0.0.1:PORT
API_KEY = os.environ["OE_API_KEY"]
PHOTO = os.environ["OE_PHOTO"]  # a JPEG with OE_PHOTO_FACES faces
PHOTO_FACES = int(os.environ["OE_PHOTO_FACES"])
TEXT_FILE = os.environ["OE_TEXT_FILE"]


class LegacyBatchClient(unittest.TestCase):
    def setUp(self):
        self.client = HumeBatchClient(API_KEY, _api_http_base_url=HTTP_URL)

    def test_files_job_predictions_and_artifacts(self):
        job = self.client.submit_job([], [FaceConfig(), LanguageConfig(granularity="sentence")], files=[PHOTO, TEXT_FILE])
        details = job.await_complete(timeout=300, raise_on_failed=True)
        self.assertEqual(details.get_status().value, "COMPLETED")
        self.assertGreaterEqual(details.get_run_time_ms(), 0)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "predictions.json")
            job.download_predictions(path)
            with open(path) as f:
                predictions = json.load(f)
            by_file = {p["file"]: p["models"] for source in predictions for p in source["results"]["predictions"]}
            faces = [p for g in by_file[os.path.basename(PHOTO)]["face"]["grouped_predictions"] for p in g["predictions"]]
            self.assertEqual(len(faces), PHOTO_FACES)
            self.assertIn("box", faces[0])
            sentences = by_file[os.path.basename(TEXT_FILE)]["language"]["grouped_predictions"][0]["predictions"]
            self.assertEqual(len(sentences), 2)
            archive = os.path.join(folder, "artifacts.zip")
            job.download_artifacts(archive)
            self.assertTrue(zipfile.is_zipfile(archive))
            with zipfile.ZipFile(archive) as z:
                self.assertIn("predictions.json", z.namelist())

    def test_text_job(self):
        job = self.client.submit_job([], [LanguageConfig()], text=["What a lovely day."])
        job.await_complete(timeout=120, raise_on_failed=True)
        predictions = job.get_predictions()
        self.assertEqual(predictions[0]["source"]["type"], "text")
        words = predictions[0]["results"]["predictions"][0]["models"]["language"]["grouped_predictions"][0]["predictions"]
        self.assertEqual([w["text"] for w in words], ["What", "a", "lovely", "day"])


if __name__ == "__main__":
    unittest.main()
