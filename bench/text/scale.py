#!/usr/bin/env python3
"""The scale check of issue 16: a synthetic corpus of many classes for hashed features.

    /usr/bin/python3 bench/text/scale.py OUT.tsv [DOCS] [CLASSES] [SEED]

DOCS documents (default 200,000) of CLASSES classes (default 1,000), label TAB text: each
document has 12 words, a third drawn from its class's 40-word vocabulary and the rest from
a 5,000-word common pool, so that with bigrams hashed into 2^20 buckets most buckets are
used and the weights (10^6 x 1000 floats, 4 GB) cannot be a dense gradient per step.
Seeded (default 16; a test file takes another seed): the same file on every machine.
"""
import random
import sys

out = sys.argv[1]
docs = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
classes = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000
rnd = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 16)
common = ["w%d" % i for i in range(5_000)]
own = [["c%dw%d" % (k, i) for i in range(40)] for k in range(classes)]
with open(out, "w", encoding="utf-8") as f:
    for _ in range(docs):
        k = rnd.randrange(classes)
        words = [rnd.choice(own[k]) if rnd.random() < 1 / 3 else rnd.choice(common) for _ in range(12)]
        f.write("class%d\t%s\n" % (k, " ".join(words)))
