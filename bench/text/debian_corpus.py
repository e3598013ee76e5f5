#!/usr/bin/env python3
"""A real text-classification corpus every Debian machine has: its package index.

    /usr/bin/python3 bench/text/debian_corpus.py OUT_DIR

Reads `apt-cache dumpavail` (about 63,000 packages) and writes, for two tasks,
  section:  label = the package's Section without its archive area ("contrib/net" -> "net"), ~58 classes
  facet:    label = the facet of the package's first debtag ("role::program" -> "role"), where it has tags
the files
  OUT_DIR/<task>.train.tsv, <task>.test.tsv        label TAB text (text = the one-line Description)
  OUT_DIR/<task>.train.ft,  <task>.test.ft          fastText's "__label__<label> text"
The split is by a hash of the package name (80% train), so it is the same on every machine and run.
Nothing is downloaded; the data set is never committed.
"""
import hashlib
import os
import subprocess
import sys


def packages():
    out = subprocess.run(["apt-cache", "dumpavail"], check=True, capture_output=True, text=True).stdout
    for block in out.split("\n\n"):
        fields = {}
        for line in block.splitlines():
            if line and not line[0].isspace() and ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if "Package" in fields and "Description" in fields:
            yield fields


def labels(p):
    section = p.get("Section", "").rsplit("/", 1)[-1]
    tags = p.get("Tag", "")
    facet = tags.split(",")[0].split("::")[0].strip() if tags else ""
    return {"section": section, "facet": facet}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    files = {}
    counts = {}
    seen = set()
    for p in packages():
        name = p["Package"]
        if name in seen:  # one entry per package name
            continue
        seen.add(name)
        split = "train" if int(hashlib.sha1(name.encode()).hexdigest(), 16) % 10 < 8 else "test"
        text = " ".join(p["Description"].replace("\t", " ").split())
        for task, label in labels(p).items():
            if not label:
                continue
            for ext in ("tsv", "ft"):
                key = (task, split, ext)
                if key not in files:
                    files[key] = open(os.path.join(out, f"{task}.{split}.{ext}"), "w", encoding="utf-8")
            files[(task, split, "tsv")].write(f"{label}\t{text}\n")
            files[(task, split, "ft")].write(f"__label__{label} {text}\n")
            counts[(task, split)] = counts.get((task, split), 0) + 1
    for f in files.values():
        f.close()
    for (task, split), n in sorted(counts.items()):
        print(f"{task}.{split}: {n} rows")


if __name__ == "__main__":
    main()
