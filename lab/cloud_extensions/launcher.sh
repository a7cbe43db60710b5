#!/bin/sh
# The layer's extensions/slo-cloud-extensions executable: runs the Cloud Extensions emulator.
# Layer layout (unzipped at /opt on Lambda):
#   extensions/slo-cloud-extensions      this script
#   slo-cloud-extensions/lab/...         the emulator's code (and lab/extension's, which it shares) and boto3
# SLO_EXTENSION_PYTHON picks the interpreter (default python3), as for the Parameters and Secrets emulator.
set -eu
root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd -P)
PYTHONPATH="$root/slo-cloud-extensions"
export PYTHONPATH
exec "${SLO_EXTENSION_PYTHON:-python3}" -m lab.cloud_extensions --extension-name "$(basename -- "$0")" "$@"
