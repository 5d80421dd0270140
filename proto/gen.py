#!/usr/bin/env python3
"""gen.py PROTOC_C OUTDIR PROTO...: the C code of proto/*.proto, for meson.

Each .proto is turned into its proto2 twin (proto3to2.py says why), in a
temporary tree that keeps the import paths, and compiled with protoc-c.
The outputs are written flat into OUTDIR (NAME.pb-c.c / NAME.pb-c.h, with
google/protobuf/timestamp becoming timestamp.pb-c.*), the includes between
them rewritten to match.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proto3to2 import convert  # noqa: E402


def main():
    protoc, outdir, protos = sys.argv[1], sys.argv[2], sys.argv[3:]
    srcroot = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        twins, out = os.path.join(tmp, 'in'), os.path.join(tmp, 'out')
        os.makedirs(out)
        rels = []
        for p in protos:
            rel = os.path.relpath(os.path.abspath(p), srcroot)
            rels.append(rel)
            dst = os.path.join(twins, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(p) as f:
                text = convert(f.read())
            with open(dst, 'w') as f:
                f.write(text)
        subprocess.run([protoc, '--c_out=' + out, '-I' + twins] + rels, check=True)
        for rel in rels:
            base = rel[:-len('.proto')]
            flat = os.path.basename(base)
            for ext in ('.pb-c.c', '.pb-c.h'):
                with open(os.path.join(out, base + ext)) as f:
                    text = f.read()
                text = re.sub(r'#include "(?:[\w-]+/)*([\w-]+\.pb-c\.h)"', r'#include "\1"', text)
                with open(os.path.join(outdir, flat + ext), 'w') as f:
                    f.write(text)


if __name__ == '__main__':
    main()
