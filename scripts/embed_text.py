#!/usr/bin/env python3
"""Writes a text file as a C++ header holding it, so turnpike carries the file
(its default chat word list, its Redis matcher's Lua script) and never needs
it at run time.

Usage: embed_text.py INPUT OUTPUT NAMESPACE NAME
  defines NAMESPACE::NAME as a std::string_view of INPUT's bytes
"""
import sys


def c_string_literal(line: bytes) -> str:
    # Octal escapes stop after three digits, unlike hex ones, so a letter
    # after an escaped UTF-8 byte cannot be swallowed into it.
    out = []
    for byte in line:
        char = chr(byte)
        if char in '"\\?':
            out.append('\\' + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append('\\%03o' % byte)
    return '"' + ''.join(out) + '"'


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    source, target, namespace, name = sys.argv[1:5]
    with open(source, 'rb') as f:
        data = f.read()
    try:
        data.decode('utf-8')
    except UnicodeDecodeError as e:
        print(f'{source}: not valid UTF-8 at byte {e.start}', file=sys.stderr)
        return 1
    lines = data.splitlines(keepends=True) or [b'']
    with open(target, 'w', encoding='ascii') as f:
        f.write(f'// Generated from {source.split("/")[-1]} by scripts/embed_text.py: do not edit.\n')
        f.write('#pragma once\n\n#include <string_view>\n\n')
        f.write(f'namespace {namespace} {{\n\n')
        f.write(f'inline constexpr char {name}_text[] =\n')
        f.write('\n'.join('    ' + c_string_literal(line) for line in lines))
        f.write(';\n\n')
        # sizeof, not strlen: the text may hold a NUL.
        f.write(f'inline constexpr std::string_view {name}{{\n')
        f.write(f'    {name}_text, sizeof({name}_text) - 1}};\n\n')
        f.write(f'}}  // namespace {namespace}\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
