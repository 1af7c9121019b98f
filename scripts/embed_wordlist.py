#!/usr/bin/env python3
"""Writes a word list (conf/wordlist.txt) as a C++ header holding its text, so
turnpike carries its default chat word list and never needs the file.

Usage: embed_wordlist.py INPUT OUTPUT
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
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    source, target = sys.argv[1], sys.argv[2]
    with open(source, 'rb') as f:
        data = f.read()
    try:
        data.decode('utf-8')
    except UnicodeDecodeError as e:
        print(f'{source}: not valid UTF-8 at byte {e.start}', file=sys.stderr)
        return 1
    lines = data.splitlines(keepends=True) or [b'']
    with open(target, 'w', encoding='ascii') as f:
        f.write('// Generated from conf/wordlist.txt by scripts/embed_wordlist.py: do not edit.\n')
        f.write('#pragma once\n\n#include <string_view>\n\n')
        f.write('namespace turnpike::signal {\n\n')
        f.write('inline constexpr char builtin_word_list_text[] =\n')
        f.write('\n'.join('    ' + c_string_literal(line) for line in lines))
        f.write(';\n\n')
        # sizeof, not strlen: the text may hold a NUL.
        f.write('inline constexpr std::string_view builtin_word_list{\n')
        f.write('    builtin_word_list_text, sizeof(builtin_word_list_text) - 1};\n\n')
        f.write('}  // namespace turnpike::signal\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
