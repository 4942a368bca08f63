#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Part of emu_powercut.sh's crash-consistency sweep (see there): the power cut after every k
# of the optee-fs layout's delete (~195 RPMB writes), a file of its own so that
# `make check` runs the parts side by side.
# system-check: long
set -euo pipefail
POWERCUT_OPS="" POWERCUT_FS_OPS="delete" exec bash "$(dirname "$0")/emu_powercut.sh"
