#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The README names files of this repository (`emu/cmd_trace.c`, `tests/fuzz/`, …): every
# one of them exists, and it points at nothing outside the repository (issue 15, defect 10:
# it linked shared/research/…, which a clone does not have).
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 - <<'PY'
import re, os, sys
text = open("README.md", encoding="utf-8").read()
bad = []
if "shared/research" in text:
    bad.append("README.md mentions shared/research (not part of the repository)")
tops = ("emu/", "stmm/", "rpmb/", "supplicant/", "lib/", "include/", "tests/", "fixtures/", ".ci/")
seen = set()
for m in re.finditer(r"`([^`\s]+)`", text):
    p = m.group(1).rstrip(".,:;)")
    before = text[max(0, m.start() - 40):m.start()]
    if re.search(r"Linux|U-Boot|u-boot|optee|OP-TEE|edk2|EDK2|kernel|QEMU|mmc-utils|efitools", before):
        continue  # another project's file, named as a source
    if not p.startswith(tops) or any(c in p for c in "<>*{}$|") or "STATE" in p:
        continue
    p = p.split(":")[0]
    if p in seen:
        continue
    seen.add(p)
    if not os.path.exists(p):
        bad.append("README.md names " + p + ", which does not exist")
for b in bad:
    print("FAIL:", b)
print("readme_paths: %d paths checked, %d missing" % (len(seen), len(bad)))
sys.exit(1 if bad else 0)
PY
