#!/usr/bin/env python3
"""Writes a C++ header holding a text file as a std::string_view constant.

usage: embed-text.py INPUT OUTPUT NAME
"""
import sys

source, output, name = sys.argv[1:4]
with open(source, encoding="utf-8") as f:
    text = f.read()
delimiter = "embedded"
if f"){delimiter}\"" in text:
    sys.exit(f"embed-text.py: {source} contains the raw string delimiter")
with open(output, "w", encoding="utf-8") as f:
    f.write(f"// Generated from {source} by scripts/embed-text.py; do not edit.\n")
    f.write("#pragma once\n#include <string_view>\nnamespace turnpike::signal {\n")
    f.write(f'inline constexpr std::string_view {name} = R"{delimiter}({text}){delimiter}";\n')
    f.write("}  // namespace turnpike::signal\n")
