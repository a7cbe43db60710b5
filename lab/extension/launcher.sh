#!/bin/sh
# The layer's extensions/slo-parameters-secrets executable: runs the Parameters and Secrets extension emulator.
# Layer layout (unzipped at /opt on Lambda):
#   extensions/slo-parameters-secrets      this script
#   slo-parameters-secrets/lab/...         the emulator's code and its pinned requirements
# SLO_EXTENSION_PYTHON picks the interpreter (default python3).
set -eu

self=$0
# Follow symbolic links to the real file, so the layer root is found wherever the script is linked from.
while [ -h "$self" ]; do
    link=$(readlink "$self")
    case $link in
        /*) self=$link ;;
        *) self=$(dirname -- "$self")/$link ;;
    esac
done
here=$(CDPATH='' cd -- "$(dirname -- "$self")" && pwd -P)
root=$(dirname -- "$here")

PYTHONPATH="$root/slo-parameters-secrets"
export PYTHONPATH
exec "${SLO_EXTENSION_PYTHON:-python3}" -m lab.extension --extension-name "$(basename -- "$0")" "$@"
