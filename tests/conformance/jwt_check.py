#!/usr/bin/env python3
"""Verifies a license key with PyJWT (and cryptography), an implementation
independent of sitectl's: RS256 only, the signature, the issuer and the
required claims; then the validity period as of a given day.

    python3 tests/conformance/jwt_check.py TOKEN_FILE PUBLIC_KEY_PEM AS_OF_EPOCH

Prints the claims as JSON and exits 0 when valid; prints `refused: why` and
exits 1 otherwise; exits 2 when PyJWT is missing (never a skip).
"""

import json
import sys

try:
    import jwt
except ImportError as error:
    print(f"error: PyJWT is missing ({error}): pip install -r tests/conformance/requirements.txt",
          file=sys.stderr)
    sys.exit(2)


def main() -> int:
    token_file, key_file, as_of = sys.argv[1], sys.argv[2], int(sys.argv[3])
    token = open(token_file, encoding="utf-8").read().strip()
    key = open(key_file, "rb").read()
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            issuer="sitectl",
            # The dates are judged below, as of the day asked, not today.
            options={
                "require": ["exp", "nbf", "iat", "iss", "sub"],
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except jwt.InvalidTokenError as error:
        print(f"refused: {type(error).__name__}: {error}")
        return 1
    if as_of >= claims["exp"]:
        print("refused: expired")
        return 1
    if as_of < claims["nbf"]:
        print("refused: not yet valid")
        return 1
    print(json.dumps(claims, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
