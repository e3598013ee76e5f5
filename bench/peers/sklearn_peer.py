"""Fashion-MNIST with scikit-learn, as a user would run it: the whole command timed
(reading the IDX files, scaling to [0, 1], fitting, scoring the test set).

    /usr/bin/python3 bench/peers/sklearn_peer.py [DIR] [MODEL]

MODEL: logreg (LogisticRegression, multinomial, lbfgs; the default) or sgd
(SGDClassifier, log loss). Prints one line: model, test accuracy, seconds.
Debian's python3-sklearn. Best configuration measured here (NOTES.md): OpenBLAS on
both cores (its default) with glibc malloc; jemalloc helps only at 1 thread.
"""
import gzip
import sys
import time

t0 = time.perf_counter()
import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression, SGDClassifier  # noqa: E402

d = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
which = sys.argv[2] if len(sys.argv) > 2 else "logreg"


def idx(name, offset):
    with gzip.open(f"{d}/{name}", "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


x_train = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255
y_train = idx("train-labels-idx1-ubyte.gz", 8)
x_test = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255
y_test = idx("t10k-labels-idx1-ubyte.gz", 8)
if which == "logreg":
    model = LogisticRegression(max_iter=100)  # lbfgs, multinomial: the same model as softmax regression
elif which == "sgd":
    model = SGDClassifier(loss="log_loss", max_iter=10, tol=None, random_state=0)
else:
    sys.exit(f"unknown model {which!r}: logreg or sgd")
model.fit(x_train, y_train)
acc = (model.predict(x_test) == y_test).mean()
print(f"sklearn {which}: test accuracy {acc:.4f}, {time.perf_counter() - t0:.1f} s (whole script)")
