"""rxdsp from Python: the link simulation, the golden receiver, exact BER
sweep shards and their merge, and sweeps on a Dask cluster (docs/python.md).

Every function runs the same Rust code as the ``rxdsp`` program, with the GIL
released; every error (a panic inside Rust included) is raised as
:class:`RxdspError`. Plain dicts, lists, ints and strings cross the boundary,
so everything here pickles and travels to Dask workers.

Configurations are dicts with the keys of the TOML file (``{"channel":
{"snr_db": 25.0}, "dfe": {"taps": 2}}``); :func:`load_config` reads a TOML
file into one.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

from . import _rxdsp
from ._rxdsp import DEFAULT_SHARD_SYMBOLS, VERSION, RxdspError

__all__ = [
    "RxdspError",
    "VERSION",
    "DEFAULT_SHARD_SYMBOLS",
    "load_config",
    "simulate",
    "rx",
    "sweep_spec",
    "run_shard",
    "merge",
    "sweep",
]
__version__ = VERSION

Config = Dict[str, Any]


def _config_json(config: Optional[Config]) -> str:
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise RxdspError("config: a dict of sections (the TOML file's keys) expected, "
                         f"got {type(config).__name__}")
    try:
        return json.dumps(config)
    except (TypeError, ValueError) as e:
        raise RxdspError(f"config: {e}") from None


def load_config(path: Union[str, os.PathLike, None] = None, sets: Sequence[str] = ()) -> Config:
    """The configuration file ``path`` (the embedded default when None) with
    ``--set``-style overrides (``"section.key=value"``) applied, as a dict."""
    return json.loads(_rxdsp.load_config(None if path is None else os.fspath(path), list(sets)))


def simulate(config: Optional[Config] = None, *, threads: int = 1) -> Dict[str, Any]:
    """The report ``rxdsp sim --report`` writes for ``config``, as a dict.

    ``threads`` channel-model worker threads run beside the receiver."""
    return json.loads(_rxdsp.simulate(_config_json(config), threads))


def rx(samples: Any, config: Optional[Config] = None):
    """The golden receiver on ``samples`` (a 1-D NumPy array of int8 or int16
    ADC codes, or float32 voltages quantized by the configured ADC), as
    ``rxdsp rx`` runs it: a uint8 array of the decoded bits, two per sample
    (``numpy.packbits`` of it is ``rxdsp rx``'s output file)."""
    return _rxdsp.rx(samples, _config_json(config))


def sweep_spec(
    config: Union[Config, str, os.PathLike, None] = None,
    grid: Iterable[str] = (),
    *,
    sets: Sequence[str] = (),
    target_errors: int = 100,
    max_symbols: int = 1_000_000_000,
    shard_symbols: int = DEFAULT_SHARD_SYMBOLS,
    config_dir: Optional[Union[str, os.PathLike]] = None,
) -> Dict[str, Any]:
    """A checked sweep spec (the ``sweep.json`` of ``rxdsp sweep``).

    ``config`` is a dict or the path of a TOML file (``sets`` apply to a
    file); ``grid`` holds ``"KEY=V1,V2"`` or ``"KEY=A:B:STEP"`` strings, the
    first key slowest. Relative Touchstone paths are taken from
    ``config_dir`` (default: the file's folder, or the current folder)."""
    if isinstance(config, (str, os.PathLike)):
        path = os.fspath(config)
        if config_dir is None:
            config_dir = os.path.dirname(path) or "."
        config = load_config(path, sets)
    elif sets:
        raise RxdspError("sets apply to a configuration file; put the keys into the dict")
    if config_dir is None:
        config_dir = "."
    config_dir = os.path.realpath(os.fspath(config_dir))
    grid = [grid] if isinstance(grid, str) else list(grid)
    text = _rxdsp.sweep_spec(_config_json(config), config_dir, grid, int(shard_symbols),
                             int(target_errors), int(max_symbols))
    return json.loads(text)


def _spec_json(spec: Dict[str, Any]) -> str:
    if not isinstance(spec, dict):
        raise RxdspError("spec: a dict from rxdsp.sweep_spec expected")
    return json.dumps(spec)


def run_shard(spec: Dict[str, Any], point: int, shard: int) -> Dict[str, Any]:
    """Shard ``shard`` of point ``point`` of ``spec``: its record (integer
    counts and provenance), the same wherever and whenever it runs."""
    return json.loads(_rxdsp.run_shard(_spec_json(spec), int(point), int(shard)))


def merge(records: Iterable[Dict[str, Any]]) -> Dict[int, Dict[str, Any]]:
    """Shard records merged per point, without a stop rule: each (point,
    shard) counted once (a different duplicate is refused), the shards of a
    point consecutive from 0. Returns ``{point: merged counts}``."""
    texts = [json.dumps(r) for r in records]
    return {int(p): c for p, c in json.loads(_rxdsp.merge(texts)).items()}


def sweep(spec: Dict[str, Any], client: Any = None, *, out: Optional[Union[str, os.PathLike]] = None,
          workers: Optional[int] = None, progress: bool = False) -> List[Dict[str, Any]]:
    """Runs the sweep ``spec`` (from :func:`sweep_spec`) and returns its points
    (the contents of ``points.json``).

    ``client``: a ``distributed.Client`` (any Dask cluster: shards are
    submitted to it), ``None`` (a ``LocalCluster`` of ``workers`` processes is
    started, one per core by default) or ``"inline"`` (this process, one
    shard at a time, no Dask). With ``out`` the folder is written as
    ``rxdsp sweep --out`` writes it (records, ``points.json``,
    ``points.csv``: the same bytes) and an existing sweep there is resumed."""
    from ._sweep import run_sweep

    return run_sweep(spec, client, out=out, workers=workers, progress=progress)
