#!/usr/bin/env python3
"""Reads rendered files the way their real consumers do and prints what the
consumer saw, as JSON, for the injection tests to compare.

  dump.py helm FILE...          Helm's own values reader (helm-python-sdk)
  dump.py compose FILE ENVFILE  `docker-compose config` output, parsed
  dump.py bicep FILE...         the Bicep grammar: declarations and every string
                                literal's value (unescaped), plus interpolations

Prints one JSON object {FILE: result}. Exits 2 if a consumer is missing.
"""
import json
import subprocess
import sys


def need(module, package):
    try:
        return __import__(module)
    except ImportError:
        sys.exit(f"dump.py: the Python package `{package}` is not installed: pip install -r tests/conformance/requirements.txt")


def helm_values(files):
    helm = need("helm_python", "helm-python-sdk")
    return {f: helm.values_from_yaml(open(f, encoding="utf-8").read()) for f in files}


def compose_config(file, env_file):
    yaml = need("yaml", "PyYAML")
    out = subprocess.run(
        ["docker-compose", "--env-file", env_file, "-f", file, "config"],
        capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        sys.exit(f"docker-compose config failed for {file}:\n{out.stderr}")
    # `config` writes every literal `$` as `$$`, as the file itself must.
    return {file: unescape_dollars(yaml.safe_load(out.stdout)), "stderr": out.stderr}


def unescape_dollars(value):
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, list):
        return [unescape_dollars(v) for v in value]
    if isinstance(value, dict):
        return {k: unescape_dollars(v) for k, v in value.items()}
    return value


BICEP_ESCAPES = {"\\\\": "\\", "\\'": "'", "\\n": "\n", "\\r": "\r", "\\t": "\t", "\\$": "$"}


def bicep(files):
    need("tree_sitter", "tree-sitter")
    tsb = need("tree_sitter_bicep", "tree-sitter-bicep")
    from tree_sitter import Language, Parser

    parser = Parser(Language(tsb.language()))
    result = {}
    for f in files:
        source = open(f, "rb").read()
        tree = parser.parse(source)
        strings, declarations, interpolations, errors = [], [], 0, 0
        stack = [tree.root_node]
        while stack:
            node = stack.pop()
            if node.type == "ERROR" or node.is_missing:
                errors += 1
            if node.type.endswith("_declaration") or node.type == "using_statement":
                name = next((c for c in node.children if c.type == "identifier"), None)
                declarations.append([node.type, source[name.start_byte:name.end_byte].decode() if name else None])
            if node.type == "string":
                text = []
                previous_end = None
                for part in node.children:
                    # The grammar leaves some escapes (`\$`) between nodes.
                    if previous_end is not None and part.start_byte > previous_end:
                        gap = source[previous_end:part.start_byte].decode()
                        text.append(BICEP_ESCAPES.get(gap, gap))
                    previous_end = part.end_byte
                    raw = source[part.start_byte:part.end_byte].decode()
                    if part.type == "string_content":
                        text.append(raw)
                    elif part.type == "escape_sequence":
                        if raw.startswith("\\u{"):
                            text.append(chr(int(raw[3:-1], 16)))
                        else:
                            text.append(BICEP_ESCAPES.get(raw, raw))
                    elif part.type == "interpolation":
                        interpolations += 1
                        text.append(raw)
                strings.append("".join(text))
                continue
            stack.extend(reversed(node.children))
        result[f] = {
            "declarations": sorted(declarations, key=lambda d: (d[0], d[1] or "")),
            "strings": strings,
            "interpolations": interpolations,
            "errors": errors,
        }
    return result


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    mode, args = argv[1], argv[2:]
    if mode == "helm":
        out = helm_values(args)
    elif mode == "compose":
        out = compose_config(args[0], args[1])
    elif mode == "bicep":
        out = bicep(args)
    else:
        sys.exit(__doc__)
    json.dump(out, sys.stdout, ensure_ascii=False, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv)
