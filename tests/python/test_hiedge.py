"""The `hiedge` Python module against the shipped models, bad input and a real server.

Run by ctest (PythonModuleTest) with PYTHONPATH=<build>/python, HIEDGE_SOURCE_DIR and
HIEDGE_BINARY set.
"""
import gzip
import os
import re
import subprocess
import tempfile
import unittest

import numpy as np

import hiedge
from running_server import running_server

SOURCE = os.environ["HIEDGE_SOURCE_DIR"]
BINARY = os.environ["HIEDGE_BINARY"]
MODELS = os.path.join(SOURCE, "models")
FASHION = "/usr/share/datasets/fashion-mnist"


def fashion_test_split(count):
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
        images, labels = fashion_test_split(1000)
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
        images, _ = fashion_test_split(200)
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
        images, labels = fashion_test_split(300)
        with tempfile.TemporaryDirectory() as work:
            with running_server(BINARY, ["--models-dir", MODELS, "--model", "lml"], work) as port:
                device = hiedge.Device(os.path.join(MODELS, "sml.json"),
                                       server=f"127.0.0.1:{port}", theta=0.9)
                answers = device.run(images)
                served = hiedge.Client(f"127.0.0.1:{port}", model="lml").infer(images[:16])
        offloaded = answers["offloaded"]
        self.assertTrue(offloaded.any())
        self.assertFalse(answers["fallback"].any())
        remote = hiedge.load_model(os.path.join(MODELS, "lml.json")).infer(images)
        np.testing.assert_array_equal(answers["remote_prediction"][offloaded],
                                      remote.argmax(axis=1)[offloaded])
        np.testing.assert_array_equal(answers["prediction"][offloaded],
                                      remote.argmax(axis=1)[offloaded])
        np.testing.assert_allclose(served, remote[:16], atol=1e-4)
        local = hiedge.load_model(os.path.join(MODELS, "sml.json")).infer(images)
        self.assertGreaterEqual((answers["prediction"] == labels).mean(),
                                (local.argmax(axis=1) == labels).mean())
        self.assertTrue((answers["total_ms"] > 0).all())


class CalibrationTest(unittest.TestCase):
    def test_calibrate_gives_the_theta_hiedge_calibrate_writes(self):
        sml = hiedge.load_model(os.path.join(MODELS, "sml.json"), threads=2)
        lml = hiedge.load_model(os.path.join(MODELS, "lml.json"), threads=2)
        images, labels = hiedge.load_split(FASHION, "validation")
        self.assertEqual(images.shape, (10000, 1, 28, 28))
        config = hiedge.calibrate(sml.infer(images), labels, lml.infer(images).argmax(axis=1),
                                  beta=0.1)
        with tempfile.TemporaryDirectory() as work:
            subprocess.run([BINARY, "calibrate", "--local", os.path.join(MODELS, "sml.json"),
                            "--remote", os.path.join(MODELS, "lml.json"), "--out", work],
                           cwd=work, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            written = hiedge.DecisionConfig.load(os.path.join(work, "decision.json"))
            self.assertAlmostEqual(config.theta, written.theta, places=6)
            config.save(os.path.join(work, "again.json"))
            self.assertAlmostEqual(hiedge.OffloadPolicy.from_config(
                os.path.join(work, "again.json")).theta, written.theta, places=6)
        # The same theta* from seed 000's rule on the confidences directly.
        decided = hiedge.OffloadPolicy.max_softmax(0).decide(sml.infer(images))
        best = hiedge.optimal_threshold(decided["confidence"], decided["prediction"] == labels,
                                        lml.infer(images).argmax(axis=1) == labels, beta=0.1)
        self.assertAlmostEqual(best["theta"], config.theta, places=6)
        with self.assertRaises(ValueError):
            hiedge.load_split(FASHION, "holdout")
        with self.assertRaises(ValueError):
            hiedge.calibrate(np.zeros((3, 10), np.float32), labels[:2], labels[:3])

    def test_the_example_reproduces_the_demo_row(self):
        script = os.path.join(SOURCE, "examples", "python", "hi_demo.py")
        out = subprocess.run(["/usr/bin/python3", script], capture_output=True, text=True,
                             check=True).stdout
        theta = float(re.search(r"theta\* = ([0-9.]+)", out).group(1))
        row = re.search(r"theta ([0-9.]+): offloaded ([0-9.]+)%, accuracy ([0-9.]+)%", out)
        self.assertIsNotNone(row, out)
        self.assertEqual(float(row.group(1)), theta)
        self.assertGreater(float(row.group(2)), 0)
        self.assertLess(float(row.group(2)), 50)
        self.assertGreater(float(row.group(3)), 91.37)  # Above the S-ML alone (its card).


class StreamingDeviceTest(unittest.TestCase):
    def test_submit_flush_answers_each_sample_once_and_feedback_needs_a_learner(self):
        images, _ = fashion_test_split(50)
        device = hiedge.Device(os.path.join(MODELS, "sml.json"), theta=0.9, offload_batch=8)
        answered = []
        for i, image in enumerate(images):
            answered += device.submit(i, image)
        answered += device.flush()
        self.assertEqual(sorted(a["sample"] for a in answered), list(range(50)))
        batch = hiedge.Device(os.path.join(MODELS, "sml.json"), theta=0.9).run(images)
        by_sample = {a["sample"]: a for a in answered}
        for i in range(50):
            self.assertEqual(by_sample[i]["prediction"], batch["prediction"][i])
            self.assertEqual(by_sample[i]["offloaded"], bool(batch["offloaded"][i]))
        with self.assertRaises(ValueError):
            device.submit(99, np.zeros(10, np.float32))
        with self.assertRaises(RuntimeError):  # No field learner on this device.
            device.feedback(0, 3)


class ClientTest(unittest.TestCase):
    def test_a_refused_connection_is_an_error_not_an_answer(self):
        client = hiedge.Client("127.0.0.1:1", model="lml", deadline_ms=500)
        images, _ = fashion_test_split(2)
        with self.assertRaises(RuntimeError):
            client.infer(images)
        with self.assertRaises(ValueError):
            hiedge.Client("not an address")


if __name__ == "__main__":
    unittest.main()
