#!/usr/bin/python3
"""The demo's HI row from Python: seed 000's hierarchical inference with the shipped
S-ML and L-ML on Fashion-MNIST.

1. Both models answer hiedge's validation split of the training data (never the test
   set), and hiedge.calibrate picks theta*, the max-softmax threshold minimising
   errors + beta * offloads (beta = 0.1), as `hiedge calibrate` does.
2. On the test set the S-ML answers every image, and the policy sends those below
   theta* to the L-ML: run here in-process, or through a real server with --server
   (`build/hiedge serve` in another shell), the device loop then offloading over REST.

Prints the row in the demo's terms (README, "The demo": HI(theta*, beta=0.10) at
theta 0.5660, 11.39% offloaded, 93.55% accurate).

    PYTHONPATH=build/python examples/python/hi_demo.py [--server 127.0.0.1:8000]
"""
import argparse
import os

import numpy as np

import hiedge

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--models", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                     "models"))
parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
parser.add_argument("--beta", type=float, default=0.1)
parser.add_argument("--server", default="", help="HOST:PORT of a hiedge serve running lml")
args = parser.parse_args()

sml = hiedge.load_model(os.path.join(args.models, "sml.json"), threads=2)
lml = hiedge.load_model(os.path.join(args.models, "lml.json"), threads=2)

# 1. Calibrate on the validation split.
images, labels = hiedge.load_split(args.data, "validation")
config = hiedge.calibrate(sml.infer(images), labels, lml.infer(images).argmax(axis=1),
                          beta=args.beta)
print(f"calibrated on {len(labels)} validation images: theta* = {config.theta:.4f}")

# 2. The test set.
images, labels = hiedge.load_split(args.data, "test")
if args.server:
    device = hiedge.Device(os.path.join(args.models, "sml.json"), server=args.server,
                           theta=config.theta)
    answers = device.run(images)
    offloaded, prediction = answers["offloaded"], answers["prediction"]
    fallbacks = int(answers["fallback"].sum())
else:
    decided = config.policy.decide(sml.infer(images))
    offloaded = decided["offload"]
    prediction = np.where(offloaded, lml.infer(images).argmax(axis=1), decided["prediction"])
    fallbacks = 0
accuracy = float((prediction == labels).mean())
cost = ((prediction != labels).sum() + args.beta * offloaded.sum()) / len(labels) * 10000
print(f"HI(theta*, beta={args.beta:.2f}) theta {config.theta:.4f}: "
      f"offloaded {100 * offloaded.mean():.2f}%, accuracy {100 * accuracy:.2f}%, "
      f"cost {cost:.1f} per 10,000 images, {fallbacks} fallbacks")
