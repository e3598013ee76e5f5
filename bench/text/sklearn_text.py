#!/usr/bin/env python3
"""scikit-learn on the text corpus of debian_corpus.py, and the features liblinear reads.

    /usr/bin/python3 bench/text/sklearn_text.py DIR TASK sgd|logreg|svmlight

Features: HashingVectorizer of word unigrams and bigrams, 2^20 buckets, L2-normalised rows
(scikit-learn's defaults otherwise); the same for every peer. sgd: SGDClassifier(loss="log_loss");
logreg: LogisticRegression (multinomial, saga); both print one line "accuracy A fit_s S".
svmlight: writes DIR/TASK.{train,test}.svm (LIBSVM format, 1-based features) for liblinear.
"""
import sys
import time

from sklearn.datasets import dump_svmlight_file
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier


def read(path):
    labels, texts = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            label, _, text = line.rstrip("\n").partition("\t")
            labels.append(label)
            texts.append(text)
    return labels, texts


def main():
    root, task, mode = sys.argv[1:4]
    vec = HashingVectorizer(ngram_range=(1, 2), n_features=2**20, alternate_sign=False)
    ytr, ttr = read(f"{root}/{task}.train.tsv")
    yte, tte = read(f"{root}/{task}.test.tsv")
    xtr, xte = vec.transform(ttr), vec.transform(tte)
    if mode == "svmlight":
        classes = {c: i for i, c in enumerate(sorted(set(ytr) | set(yte)))}
        dump_svmlight_file(xtr, [classes[c] for c in ytr], f"{root}/{task}.train.svm", zero_based=False)
        dump_svmlight_file(xte, [classes[c] for c in yte], f"{root}/{task}.test.svm", zero_based=False)
        return
    model = SGDClassifier(loss="log_loss", n_jobs=2, random_state=0) if mode == "sgd" else LogisticRegression(
        solver="saga", max_iter=30, n_jobs=2)
    t0 = time.perf_counter()
    model.fit(xtr, ytr)
    fit_s = time.perf_counter() - t0
    acc = (model.predict(xte) == yte).mean()
    print(f"accuracy {acc:.4f} fit_s {fit_s:.1f}")


if __name__ == "__main__":
    main()
