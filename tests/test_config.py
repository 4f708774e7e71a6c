"""Config contract: defaults, the DESIGN.md keys, key-path errors, the reference file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from conftest import REPO, run_cli

from aggregator.config import Config, ConfigError, iter_settings, load_config


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_without_file(tmp_path: Path) -> None:
    cfg = load_config(tmp_path / "missing.toml")
    assert cfg.store_path == tmp_path / "db/aggregator.db"
    assert cfg.fetch.allow_private_networks is False
    assert cfg.server.host == "127.0.0.1"


def test_design_contract_keys_work_as_written(tmp_path: Path) -> None:
    cfg = load_config(
        write(
            tmp_path,
            """
[feeds]
opml = "feeds.opml"
[store]
path = "db/aggregator.db"
[publish]
dir = "public"
[fetch]
allow_private_networks = true
""",
        )
    )
    assert cfg.opml_path == tmp_path / "feeds.opml"
    assert cfg.publish_dir == tmp_path / "public"
    assert cfg.fetch.allow_private_networks is True


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[fetch]\ntimeout = 3\n", "fetch.timeout"),
        ('[fetch]\nmax_redirects = "five"\n', "fetch.max_redirects"),
        ("[fetch]\nallow_private_networks = 1\n", "fetch.allow_private_networks"),
        ("[nosuch]\nx = 1\n", "nosuch"),
        ("[schedule]\nmin_interval_s = 0\n", "schedule.min_interval_s"),
        ('[cluster]\nbackend = "bert"\n', "cluster.backend"),
        ('[feeds]\ndefault_timezone = "Mars/Olympus"\n', "feeds.default_timezone"),
        ('[fetch]\nallowed_networks = ["10.0.0.0/33"]\n', "fetch.allowed_networks"),
        ("[schedule]\nmin_interval_s = 9000\nmax_interval_s = 600\n", "schedule.min_interval_s"),
        ("fetch = 3\n", "fetch"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as ei:
        load_config(write(tmp_path, text))
    assert str(ei.value).startswith(key)


def test_cli_bad_config_exits_2_without_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "[fetch]\nmax_bytes = -1\n")
    proc = run_cli(path, "check-config", timeout=60)
    assert proc.returncode == 2
    assert "fetch.max_bytes" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_config(tmp_path / "nope.toml", must_exist=True)


def test_reference_config_is_complete_and_matches_defaults() -> None:
    """config.toml is the reference: every key documented, with the embedded default."""
    ref = tomllib.loads((REPO / "config.toml").read_text(encoding="utf-8"))
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    for key, _value, default, help_text in iter_settings(Config()):
        sect, name = key.split(".")
        assert name in ref.get(sect, {}), f"config.toml lacks {key}"
        got = ref[sect][name]
        want = list(default) if isinstance(default, tuple) else default
        assert got == want, f"config.toml {key} = {got!r}, default is {want!r}"
        assert help_text and help_text.split(";")[0][:30] in text, f"{key} help missing"
    assert load_config(REPO / "config.toml") == Config(base_dir=REPO)


def test_state_dir_env_moves_relative_state_paths(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Under systemd ($AGGREGATOR_STATE_DIR) the store and outputs live in the state dir;
    the OPML stays beside the config."""
    monkeypatch.setenv("AGGREGATOR_STATE_DIR", str(tmp_path / "state"))
    cfg = load_config(write(tmp_path, "[store]\npath = \"db/a.db\"\n"))
    assert cfg.store_path == tmp_path / "state" / "db" / "a.db"
    assert cfg.publish_dir == tmp_path / "state" / "public"
    assert cfg.opml_path == tmp_path / "feeds.opml"
