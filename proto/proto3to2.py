#!/usr/bin/env python3
"""proto3to2.py IN OUT: the proto2 twin of a proto3 file, for protoc-c.

Debian 12's protoc-c (1.4.1) refuses proto3 `optional` fields, and without
them a request could not tell `vote: false` from no `vote` at all. The wire
format of a proto3 field and of a proto2 `optional` field of the same type
and number is the same, so the build compiles this twin instead: syntax
proto2, and every singular field outside a oneof (proto3 `optional` or
not) becomes proto2 `optional`, which protoc-c gives a has_ flag. Maps,
repeated fields, oneof members and everything else are copied unchanged.
Only the C code is built from the twin; proto/*.proto stay the reference.
"""
import re
import sys

FIELD = re.compile(r'^(\s*)(optional\s+)?([A-Za-z_][\w.]*)\s+([A-Za-z_]\w*)\s*=\s*(\d+)\s*;(.*)$')


def convert(text):
    out = []
    depth = []  # stack of block kinds: message, enum, oneof, service
    for line in text.splitlines():
        s = line.strip()
        if s.startswith('syntax'):
            out.append('syntax = "proto2";')
            continue
        m = re.match(r'^(message|enum|oneof|service)\s+\w+\s*\{', s)
        if m:
            depth.append(m.group(1))
            out.append(line)
            continue
        if s.startswith('}'):
            if depth:
                depth.pop()
            out.append(line)
            continue
        if depth and depth[-1] == 'message':
            f = FIELD.match(line)
            if f and f.group(3) not in ('repeated', 'map', 'reserved', 'option'):
                out.append('%soptional %s %s = %s;%s' % (f.group(1), f.group(3), f.group(4),
                                                        f.group(5), f.group(6)))
                continue
        out.append(line)
    return '\n'.join(out) + '\n'


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: proto3to2.py IN OUT')
    with open(sys.argv[1]) as f:
        text = f.read()
    with open(sys.argv[2], 'w') as f:
        f.write(convert(text))


if __name__ == '__main__':
    main()
