#!/usr/bin/env python3
"""Print the "id" of every record in files of concatenated msgpack maps
(or in a msgpack array of records with --array), one a line.  A minimal
msgpack decoder: the standard library has none.

usage: mpids.py [--array] FILE...
"""
import struct
import sys


def decode(b, i):
    t = b[i]
    i += 1
    if t <= 0x7f:
        return t, i
    if t >= 0xe0:
        return t - 0x100, i
    if 0x80 <= t <= 0x8f:
        return decode_map(b, i, t & 0x0f)
    if 0x90 <= t <= 0x9f:
        return decode_array(b, i, t & 0x0f)
    if 0xa0 <= t <= 0xbf:
        n = t & 0x1f
        return b[i:i + n].decode('utf-8', 'replace'), i + n
    if t == 0xc0:
        return None, i
    if t in (0xc2, 0xc3):
        return t == 0xc3, i
    fixed = {0xcc: '>B', 0xcd: '>H', 0xce: '>I', 0xcf: '>Q',
             0xd0: '>b', 0xd1: '>h', 0xd2: '>i', 0xd3: '>q',
             0xca: '>f', 0xcb: '>d'}
    if t in fixed:
        fmt = fixed[t]
        n = struct.calcsize(fmt)
        return struct.unpack(fmt, b[i:i + n])[0], i + n
    lens = {0xd9: 1, 0xda: 2, 0xdb: 4, 0xc4: 1, 0xc5: 2, 0xc6: 4}
    if t in lens:
        k = lens[t]
        n = int.from_bytes(b[i:i + k], 'big')
        i += k
        v = b[i:i + n]
        return (v.decode('utf-8', 'replace') if t >= 0xd9 else v), i + n
    if t in (0xdc, 0xdd):
        k = 2 if t == 0xdc else 4
        return decode_array(b, i + k, int.from_bytes(b[i:i + k], 'big'))
    if t in (0xde, 0xdf):
        k = 2 if t == 0xde else 4
        return decode_map(b, i + k, int.from_bytes(b[i:i + k], 'big'))
    raise ValueError('unsupported msgpack type 0x%02x' % t)


def decode_array(b, i, n):
    out = []
    for _ in range(n):
        v, i = decode(b, i)
        out.append(v)
    return out, i


def decode_map(b, i, n):
    out = {}
    for _ in range(n):
        k, i = decode(b, i)
        v, i = decode(b, i)
        out[k] = v
    return out, i


def records(data, array=False):
    i = 0
    out = []
    while i < len(data):
        v, i = decode(data, i)
        if array:
            out.extend(v)
        else:
            out.append(v)
    return out


if __name__ == '__main__':
    args = sys.argv[1:]
    array = False
    if args and args[0] == '--array':
        array = True
        args = args[1:]
    for path in args:
        with open(path, 'rb') as f:
            for r in records(f.read(), array):
                print(r['id'])
