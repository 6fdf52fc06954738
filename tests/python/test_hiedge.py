"""The `hiedge` Python module against the shipped models, bad input and a real server.

Run by ctest (PythonModuleTest) with PYTHONPATH=<build>/python, HIEDGE_SOURCE_DIR and
HIEDGE_BINARY set.
"""
import gzip
import os
import re
import subprocess
import tempfile
import time
import unittest

import numpy as np

import hiedge

SOURCE = os.environ["HIEDGE_SOURCE_DIR"]
BINARY = os.environ["HIEDGE_BINARY"]
MODELS = os.path.join(SOURCE, "models")
FASHION = "/usr/share/datasets/fashion-mnist"


def test_split(count):
    """The first `count` Fashion-MNIST test images in [0, 1] and their labels."""
    with gzip.open(os.path.join(FASHION, "t10k-images-idx3-ubyte.gz")) as f:
        pixels = np.frombuffer(f.read(), np.uint8, offset=16)
    with gzip.open(os.path.join(FASHION, "t10k-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    images = pixels[: count * 784].reshape(count, 1, 28, 28).astype(np.float32) / 255.0
    return images, labels[:count].astype(np.int32)


def softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class ModelTest(unittest.TestCase):
    def test_a_batch_answers_like_its_samples_and_like_the_card_says(self):
        model = hiedge.load_model(os.path.join(MODELS, "sml.json"))
        self.assertEqual(model.name, "sml")
        self.assertEqual(model.input_shape, [1, 28, 28])
        self.assertEqual(model.num_classes, 10)
        self.assertGreater(model.macs_per_sample, 0)
        images, labels = test_split(1000)
        logits = model.infer(images)
        self.assertEqual(logits.shape, (1000, 10))
        self.assertEqual(logits.dtype, np.float32)
        # The card's test accuracy is 91.37% over 10,000 images.
        self.assertGreater((logits.argmax(axis=1) == labels).mean(), 0.88)
        one_by_one = np.concatenate([model.infer(images[i : i + 1]) for i in range(40)])
        np.testing.assert_allclose(one_by_one, logits[:40], atol=1e-5)
        two_threads = hiedge.load_model(os.path.join(MODELS, "sml.json"), threads=2)
        np.testing.assert_allclose(two_threads.infer(images), logits, atol=1e-4)
        # Any float array is taken (converted), not only float32.
        np.testing.assert_allclose(model.infer(images[:8].astype(np.float64)), logits[:8],
                                   atol=1e-5)

    def test_bad_input_gets_a_clear_error(self):
        model = hiedge.load_model(os.path.join(MODELS, "sml.json"))
        with self.assertRaisesRegex(ValueError, r"1,28,28"):
            model.infer(np.zeros((2, 1, 27, 28), np.float32))
        with self.assertRaises(ValueError):
            model.infer(np.zeros((0, 1, 28, 28), np.float32))
        with self.assertRaises(FileNotFoundError):
            hiedge.load_model("/nonexistent/model.json")
        with self.assertRaisesRegex(ValueError, "threads"):
            hiedge.load_model(os.path.join(MODELS, "sml.json"), threads=0)


class PolicyTest(unittest.TestCase):
    def test_max_softmax_offloads_exactly_below_theta(self):
        rng = np.random.default_rng(7)
        logits = rng.normal(size=(500, 10)).astype(np.float32) * 3
        policy = hiedge.OffloadPolicy.max_softmax(0.6)
        self.assertAlmostEqual(policy.theta, 0.6)
        decided = policy.decide(logits)
        probabilities = softmax(logits.astype(np.float64))
        np.testing.assert_array_equal(decided["prediction"], probabilities.argmax(axis=1))
        np.testing.assert_allclose(decided["confidence"], probabilities.max(axis=1), atol=1e-6)
        close = np.abs(probabilities.max(axis=1) - 0.6) < 1e-6  # Rounding at the edge.
        np.testing.assert_array_equal(decided["offload"][~close],
                                      (probabilities.max(axis=1) < 0.6)[~close])
        self.assertFalse(policy.with_theta(0).decide(logits)["offload"].any())
        self.assertTrue(policy.with_theta(1.5).decide(logits)["offload"].all())
        with self.assertRaises(ValueError):
            policy.decide(np.zeros(10, np.float32))

    def test_a_missing_decision_config_is_an_error(self):
        with self.assertRaises(FileNotFoundError):
            hiedge.OffloadPolicy.from_config("/nonexistent/decision.json")


class DeviceTest(unittest.TestCase):
    def test_without_a_server_every_offload_falls_back_to_the_local_answer(self):
        images, _ = test_split(200)
        device = hiedge.Device(os.path.join(MODELS, "sml.json"), theta=0.9)
        answers = device.run(images)
        offloaded = answers["offloaded"]
        self.assertTrue(offloaded.any())
        np.testing.assert_array_equal(answers["fallback"], offloaded)
        self.assertTrue((answers["remote_prediction"] == -1).all())
        local = hiedge.load_model(os.path.join(MODELS, "sml.json")).infer(images)
        np.testing.assert_array_equal(answers["prediction"], local.argmax(axis=1))
        with self.assertRaisesRegex(ValueError, "samples must be"):
            device.run(np.zeros((3, 28, 28), np.float32))

    def test_offloads_are_answered_by_a_real_server(self):
        with tempfile.TemporaryDirectory() as work:
            log_path = os.path.join(work, "serve.log")
            with open(log_path, "w") as log:
                server = subprocess.Popen(
                    [BINARY, "serve", "--models-dir", MODELS, "--model", "lml", "--port", "0",
                     "--grpc-port", "-1"], cwd=work, stdout=subprocess.DEVNULL, stderr=log)
            try:
                port = None
                deadline = time.monotonic() + 60
                while port is None and time.monotonic() < deadline:
                    with open(log_path) as log:
                        found = re.search(r"http://[^:]+:(\d+)", log.read())
                    if found:
                        port = int(found.group(1))
                    elif server.poll() is not None:
                        self.fail("hiedge serve exited: " + open(log_path).read())
                    else:
                        time.sleep(0.05)
                self.assertIsNotNone(port, "hiedge serve did not start")
                images, labels = test_split(300)
                device = hiedge.Device(os.path.join(MODELS, "sml.json"),
                                       server=f"127.0.0.1:{port}", theta=0.9)
                answers = device.run(images)
            finally:
                server.terminate()
                server.wait(timeout=30)
        offloaded = answers["offloaded"]
        self.assertTrue(offloaded.any())
        self.assertFalse(answers["fallback"].any())
        remote = hiedge.load_model(os.path.join(MODELS, "lml.json")).infer(images)
        np.testing.assert_array_equal(answers["remote_prediction"][offloaded],
                                      remote.argmax(axis=1)[offloaded])
        np.testing.assert_array_equal(answers["prediction"][offloaded],
                                      remote.argmax(axis=1)[offloaded])
        local = hiedge.load_model(os.path.join(MODELS, "sml.json")).infer(images)
        self.assertGreaterEqual((answers["prediction"] == labels).mean(),
                                (local.argmax(axis=1) == labels).mean())
        self.assertTrue((answers["total_ms"] > 0).all())


if __name__ == "__main__":
    unittest.main()
