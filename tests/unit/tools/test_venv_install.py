"""`make venv`'s installer: uv sees what pip is configured with, and pip installs whenever uv cannot."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tools import venv_install
from tools.venv_install import UnsupportedSettingError, install, pip_settings, uv_arguments

# What `pip config list` printed on the machine this was written on (user file, global files, PIP_* variables)
LISTING = """\
global.cert='/etc/ssl/certs/ca-certificates.crt'
global.constraint='/etc/xdg/pip/constraints.txt'
global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'
global.find-links='/opt/wheels'
:env:.cert='/etc/ssl/certs/ca-certificates.crt'
:env:.default-timeout='180'
:env:.disable-pip-version-check='1'
:env:.find-links='/opt/wheels'
"""


def test_the_environment_overrides_install_which_overrides_global() -> None:
    listing = "global.index-url='https://a/simple'\ninstall.index-url='https://b/simple'\n" \
              "global.timeout='5'\n:env:.timeout='9'\ndownload.no-index='1'\n"
    assert pip_settings(listing) == {"index-url": "https://b/simple", "timeout": "9"}


def test_uv_is_handed_the_indexes_links_constraints_and_certificates_pip_uses() -> None:
    options, environment = uv_arguments(pip_settings(LISTING))
    assert options == [
        "--index-strategy", "unsafe-best-match",
        "--constraint", "/etc/xdg/pip/constraints.txt",
        "--extra-index-url", "file:///opt/pypi/simple", "--extra-index-url", "file:///opt/pypi-more/simple",
        "--find-links", "/opt/wheels",
    ]
    assert environment == {"SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt", "UV_HTTP_TIMEOUT": "180"}


def test_no_index_is_passed_on_only_when_set() -> None:
    assert "--no-index" in uv_arguments({"no-index": "true"})[0]
    assert "--no-index" not in uv_arguments({"no-index": "0"})[0]


def test_a_setting_uv_would_not_honour_is_refused() -> None:
    with pytest.raises(UnsupportedSettingError, match="only-binary"):
        uv_arguments({"only-binary": ":all:", "find-links": "/opt/wheels"})


class Commands:
    """Records each command; the ones whose text contains a word of `failing` exit 1."""

    def __init__(self, *failing: str) -> None:
        self.failing = failing
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str], env: dict[str, str] | None = None) -> int:
        self.calls.append(list(argv))
        return 1 if any(word in " ".join(argv) for word in self.failing) else 0


PYTHON = Path("/v/bin/python")
DEV, LOCK = Path("requirements/dev.in"), Path("requirements/lock.txt")
PIP_INSTALL = [str(PYTHON), "-m", "pip", "install", "--quiet", "-r", str(DEV), "--constraint", str(LOCK)]


def _install(commands: Commands, installer: str = "uv", listing: str = LISTING) -> tuple[str, list[str]]:
    said: list[str] = []
    used = install(PYTHON, DEV, LOCK, installer, runner=commands, read_config=lambda _: listing,
                   say=said.append)
    return used, said


def test_uv_is_installed_into_the_venv_then_installs_the_pinned_set() -> None:
    commands = Commands()
    used, said = _install(commands)
    version = venv_install.uv_version()
    assert used == f"uv {version}" and said == []
    bootstrap, uv = commands.calls
    assert bootstrap == [str(PYTHON), "-m", "pip", "install", "--quiet", "-r",
                         str(venv_install.UV_REQUIREMENTS)]
    assert uv[:7] == ["/v/bin/uv", "pip", "install", "--quiet", "--compile-bytecode", "--python", str(PYTHON)]
    assert uv[7:11] == ["-r", str(DEV), "--constraint", str(LOCK)]
    assert "--find-links" in uv


@pytest.mark.parametrize(("failing", "message"), [
    ("uv.txt", "could not be installed"),  # uv cannot be had (offline, no wheel for this platform)
    ("/v/bin/uv", "could not install dev.in"),  # uv's install failed
])
def test_pip_installs_when_uv_cannot(failing: str, message: str) -> None:
    commands = Commands(failing)
    used, said = _install(commands)
    assert used == "pip" and commands.calls[-1] == PIP_INSTALL
    assert len(said) == 1 and message in said[0] and said[0].endswith("pip installs instead")


def test_pip_installs_when_its_settings_cannot_be_handed_to_uv() -> None:
    commands = Commands()
    used, said = _install(commands, listing=LISTING + "global.only-binary=':all:'\n")
    assert used == "pip" and commands.calls == [PIP_INSTALL]
    assert "only-binary" in said[0]


def test_pip_alone_when_asked() -> None:
    commands = Commands()
    assert _install(commands, installer="pip") == ("pip", [])
    assert commands.calls == [PIP_INSTALL]


def test_a_failed_pip_install_fails_make_venv() -> None:
    with pytest.raises(SystemExit, match="pip could not install"):
        _install(Commands("dev.in"), installer="pip")


def test_the_pinned_uv_is_one_exact_version() -> None:
    assert venv_install.uv_version().count(".") == 2
